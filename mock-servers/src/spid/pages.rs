//! The IdP's pages: plain HTML forms that work without JavaScript (the
//! auto-post page has a script for convenience and a button without it).

use super::outbound::escape;
use super::users::TestUser;

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    )
}

fn hidden(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(n, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(n),
                escape(v)
            )
        })
        .collect()
}

/// The user-side anomalies the login page offers, with SPID's meaning.
pub(crate) const ANOMALIES: [(&str, &str); 7] = [
    ("nr19", "Credenziali errate troppe volte"),
    ("nr20", "Credenziali di livello non idoneo"),
    ("nr21", "Tempo scaduto"),
    ("nr22", "Consenso negato"),
    ("nr23", "Identità sospesa o revocata"),
    ("nr25", "Annullato dall'utente"),
    ("nr30", "Tipo di identità errato"),
];

/// The login page: credentials, the attributes the SP asked for, consent
/// or an anomaly. `carry` are the hidden fields that bring the request back.
pub(crate) fn login(
    action: &str,
    sp: &str,
    level: u8,
    attributes: &[String],
    users: &[TestUser],
    carry: &[(&str, &str)],
    error: Option<&str>,
) -> String {
    let asked: String = attributes
        .iter()
        .map(|a| format!("<li>{}</li>", escape(a)))
        .collect();
    let known: String = users
        .iter()
        .map(|u| {
            let name = |a: &str| u.attributes.get(a).map(String::as_str).unwrap_or_default();
            format!(
                "<tr><td><code>{}</code></td><td>{} {}</td></tr>",
                escape(&u.username),
                escape(name("name")),
                escape(name("familyName"))
            )
        })
        .collect();
    let anomalies: String = ANOMALIES
        .iter()
        .map(|(code, meaning)| {
            format!(
                "<button type=\"submit\" name=\"answer\" value=\"{code}\">{code}: {}</button> ",
                escape(meaning)
            )
        })
        .collect();
    let error = error
        .map(|e| format!("<p role=\"alert\"><strong>{}</strong></p>", escape(e)))
        .unwrap_or_default();
    document(
        "abilita-mock: accesso di prova",
        &format!(
            "<p>{sp} chiede un accesso SpidL{level} e questi attributi:</p><ul>{asked}</ul>{error}\
             <form method=\"post\" action=\"{action}\">{carry}\
             <p><label>Nome utente <input name=\"username\" autocomplete=\"username\"></label></p>\
             <p><label>Password <input name=\"password\" type=\"password\"></label></p>\
             <p><button type=\"submit\" name=\"answer\" value=\"consent\">Acconsento e accedo</button></p>\
             <p>Anomalie: {anomalies}</p></form>\
             <h2>Utenti di prova</h2><table><tr><th>nome utente</th><th>nome</th></tr>{known}</table>",
            sp = escape(sp),
            action = escape(action),
            carry = hidden(carry),
        ),
    )
}

/// The page that posts a SAML message to the SP.
pub(crate) fn autopost(
    url: &str,
    field: &str,
    message_b64: &str,
    relay_state: Option<&str>,
) -> String {
    let mut fields = vec![(field, message_b64)];
    if let Some(relay_state) = relay_state {
        fields.push(("RelayState", relay_state));
    }
    document(
        "abilita-mock: ritorno al servizio",
        &format!(
            "<form method=\"post\" action=\"{}\">{}<noscript><button type=\"submit\">Continua</button></noscript></form>\
             <script>document.forms[0].submit()</script>",
            escape(url),
            hidden(&fields)
        ),
    )
}

/// An error the IdP shows itself.
pub(crate) fn error(code: &str, reason: &str) -> String {
    document(
        "abilita-mock: richiesta rifiutata",
        &format!("<p>ErrorCode {}</p><p>{}</p>", escape(code), escape(reason)),
    )
}

/// The sessions the IdP holds, each with a button that starts its logout.
pub(crate) fn sessions(action: &str, rows: &[(String, String, String)]) -> String {
    let rows: String = rows
        .iter()
        .map(|(user, sp, name_id)| {
            format!(
                "<tr><td>{}</td><td>{}</td><td><form method=\"post\" action=\"{}\">{}<button type=\"submit\">Esci</button></form></td></tr>",
                escape(user),
                escape(sp),
                escape(action),
                hidden(&[("name_id", name_id)])
            )
        })
        .collect();
    document(
        "abilita-mock: sessioni",
        &format!("<table><tr><th>utente</th><th>servizio</th><th></th></tr>{rows}</table>"),
    )
}

/// A plain message page.
pub(crate) fn message(title: &str, text: &str) -> String {
    document(title, &format!("<p>{}</p>", escape(text)))
}
