//! The GovWay front of ANPR (ModI checks), then ANPR's E002 services.

use base64::Engine as _;
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use super::{ANPR_PREFIX_PATH, AnprSimulator, Token, govway, header_of, verify};

/// The e-services the simulator answers, by code and path segment.
pub(crate) const SERVICES: [(&str, &str); 8] = [
    ("C001", "C001-servizioNotifica"),
    ("C015", "C015-servizioAccertamentoGeneralita"),
    ("C017", "C017-servizioAccertamentoMatrimonio"),
    ("C018", "C018-servizioAccertamentoCittadinanza"),
    ("C019", "C019-servizioAccertamentoEsistenzaVita"),
    ("C020", "C020-servizioAccertamentoResidenza"),
    ("C021", "C021-servizioAccertamentoStatoFamiglia"),
    ("C030", "C030-servizioAccertamentoIdUnicoNazionale"),
];

pub(super) fn segment_of(code: &str) -> Option<&'static str> {
    SERVICES.iter().find(|(c, _)| *c == code).map(|(_, s)| *s)
}

fn invalid(detail: &str) -> ResponseTemplate {
    govway(
        400,
        "InteroperabilityInvalidRequest",
        &format!(
            "Received request is not conform to the required interoperability profile: {detail}"
        ),
    )
}

fn unauthenticated(reason: &str) -> ResponseTemplate {
    govway(401, "AuthenticationRequired", reason).insert_header(
        "www-authenticate",
        format!("Bearer realm=\"PDND\", error=\"invalid_token\", error_description=\"{reason}\"")
            .as_str(),
    )
}

fn ko(status: u16, id: u64, code: &str, text: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "idOperazioneANPR": id.to_string(),
        "listaErrori": [{ "codiceErroreAnomalia": code, "tipoErroreAnomalia": "E", "testoErroreAnomalia": text }],
    }))
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

impl AnprSimulator {
    pub(super) fn anpr(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let segments: Vec<&str> = path
            .strip_prefix(ANPR_PREFIX_PATH)
            .unwrap_or_default()
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let [segment, "v1", "anpr-service-e002"] = segments.as_slice() else {
            return govway(404, "UnknownResource", "no such operation");
        };
        let Some((code, _)) = SERVICES.iter().find(|(_, s)| s == segment) else {
            return govway(404, "UnknownResource", "no such e-service");
        };
        match self.modi(request, code, segment) {
            Ok(consumer) => self.e002(request, code, &consumer),
            Err(response) => *response,
        }
    }

    /// GovWay's ModI checks; the consumer (client id) when they pass.
    fn modi(
        &self,
        request: &Request,
        code: &str,
        segment: &str,
    ) -> Result<String, Box<ResponseTemplate>> {
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        let (now, tolerance, _) = self.now_and_tolerance();
        let audience = self.modi_audience(segment);
        let times_ok = |token: &Token| {
            let iat_ok = token.int("iat").is_some_and(|iat| iat <= now + tolerance);
            let nbf_ok = token.int("nbf").is_none_or(|nbf| nbf <= now + tolerance);
            let exp_ok = token.int("exp").is_some_and(|exp| exp > now - tolerance);
            iat_ok && nbf_ok && exp_ok
        };

        // 1. The voucher.
        let voucher = header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| Box::new(unauthenticated("missing voucher")))?;
        let voucher = verify(voucher, &self.voucher_public)
            .ok_or_else(|| Box::new(unauthenticated("invalid voucher signature")))?;
        if !times_ok(&voucher) {
            return Err(Box::new(unauthenticated(
                "Claims iat/exp del voucher non validi",
            )));
        }
        if voucher.str("aud") != Some(audience.as_str()) {
            return Err(Box::new(unauthenticated(
                "voucher audience of another e-service",
            )));
        }
        let consumer = voucher.str("client_id").unwrap_or_default().to_owned();
        let kid_of_consumer = self.with(|s| {
            s.clients
                .iter()
                .find(|(_, c)| c.id == consumer)
                .map(|(kid, c)| (kid.clone(), c.clone()))
        });
        let Some((_, client)) = kid_of_consumer else {
            return Err(Box::new(unauthenticated("unknown consumer")));
        };
        let purpose_ok = voucher
            .str("purposeId")
            .and_then(|p| client.purposes.get(p))
            .is_some_and(|service| service == code);
        if !purpose_ok {
            return Err(Box::new(govway(
                403,
                "AuthorizationDenied",
                "the purpose is not for this e-service",
            )));
        }

        // 2. The tracking evidence, bound to the voucher by its digest.
        let evidence_text = header("agid-jwt-trackingevidence")
            .ok_or_else(|| Box::new(invalid("Agid-JWT-TrackingEvidence missing")))?;
        let evidence = self
            .client_token(evidence_text, &client)
            .ok_or_else(|| Box::new(invalid("Agid-JWT-TrackingEvidence signature not valid")))?;
        if evidence.str("aud") != Some(audience.as_str()) {
            return Err(Box::new(invalid(
                "Agid-JWT-TrackingEvidence audience not valid",
            )));
        }
        if !times_ok(&evidence) {
            return Err(Box::new(unauthenticated("Claims iat del JWT non valido.")));
        }
        for claim in ["jti", "userID", "userLocation", "LoA"] {
            if evidence.str(claim).is_none_or(str::is_empty) {
                return Err(Box::new(invalid(&format!(
                    "Agid-JWT-TrackingEvidence claim {claim} missing"
                ))));
            }
        }
        if ["LoA", "userLocation"]
            .iter()
            .any(|c| evidence.str(c).is_some_and(|v| v.chars().count() > 20))
        {
            return Err(Box::new(invalid(
                "Agid-JWT-TrackingEvidence claim longer than 20 characters",
            )));
        }
        let expected_digest: String = sha256(evidence_text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let voucher_digest = voucher
            .claims
            .get("digest")
            .and_then(|d| d.get("value"))
            .and_then(Value::as_str);
        if voucher_digest != Some(expected_digest.as_str()) {
            return Err(Box::new(invalid(
                "the voucher's digest does not match Agid-JWT-TrackingEvidence",
            )));
        }

        // 3. The integrity token and the headers it signs.
        let signature_text = header("agid-jwt-signature")
            .ok_or_else(|| Box::new(invalid("Agid-JWT-Signature missing")))?;
        let signature = self
            .client_token(signature_text, &client)
            .ok_or_else(|| Box::new(invalid("Agid-JWT-Signature signature not valid")))?;
        if signature.str("aud") != Some(audience.as_str()) {
            return Err(Box::new(invalid("Agid-JWT-Signature audience not valid")));
        }
        if !times_ok(&signature) {
            return Err(Box::new(unauthenticated("Claims iat del JWT non valido.")));
        }
        let Some(Value::Array(signed)) = signature.claims.get("signed_headers") else {
            return Err(Box::new(invalid(
                "Claim 'signed_headers' con un formato non valido; atteso un array",
            )));
        };
        let mut signs_digest = false;
        for entry in signed {
            let Some((name, value)) = entry.as_object().and_then(|o| o.iter().next()) else {
                return Err(Box::new(invalid("signed_headers entry not valid")));
            };
            if header(name) != value.as_str() {
                return Err(Box::new(invalid(&format!(
                    "signed header {name} differs from the header received"
                ))));
            }
            signs_digest |= name == "digest";
        }
        if !signs_digest {
            return Err(Box::new(invalid(
                "Header HTTP 'Digest' non presente nella lista degli header firmati",
            )));
        }

        // 4. The body against its Digest.
        let body_digest = format!(
            "SHA-256={}",
            base64::engine::general_purpose::STANDARD.encode(sha256(&request.body))
        );
        if header("digest") != Some(body_digest.as_str()) {
            return Err(Box::new(invalid(
                "the Digest header does not match the body",
            )));
        }
        Ok(consumer)
    }

    /// A token signed by `client`'s key (its `kid` must be the client's),
    /// never seen before.
    fn client_token(&self, text: &str, client: &super::Client) -> Option<Token> {
        let kid = header_of(text)?.get("kid")?.as_str()?.to_owned();
        let owner = self.with(|s| s.clients.get(&kid).map(|c| c.id.clone()))?;
        if owner != client.id {
            return None;
        }
        let token = verify(text, &client.key)?;
        let jti = token.str("jti")?.to_owned();
        // A replayed token is refused: tokens are single-use.
        self.with(|s| s.seen_jti.insert(jti)).then_some(token)
    }

    /// ANPR's application: body, use case, quota, subjects.
    fn e002(&self, request: &Request, code: &str, consumer: &str) -> ResponseTemplate {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return govway(400, "InvalidRequestContent", "the body is not JSON");
        };
        let field = |pointer: &str| body.pointer(pointer).and_then(Value::as_str);
        let (Some(operation), Some(_), Some(reason), Some(use_case)) = (
            field("/idOperazioneClient"),
            field("/datiRichiesta/dataRiferimentoRichiesta"),
            field("/datiRichiesta/motivoRichiesta"),
            field("/datiRichiesta/casoUso"),
        ) else {
            return govway(
                400,
                "InvalidRequestContent",
                "idOperazioneClient, datiRichiesta {dataRiferimentoRichiesta, motivoRichiesta, casoUso} are required",
            );
        };
        let id = self.with(|s| {
            s.next_operation += 1;
            s.next_operation
        });
        // The real code of these two checks is not public: EN000 is the simulator's.
        if operation.chars().count() > 30 {
            return ko(
                400,
                id,
                "EN000",
                "Lunghezza del campo idOperazioneClient maggiore del massimo consentito 30",
            );
        }
        if use_case != code || reason.trim().is_empty() {
            return ko(
                400,
                id,
                "EN000",
                "casoUso non coerente con il servizio richiesto",
            );
        }
        let today = self.clock.now().date();
        let quota = self.with_settings(|s| s.daily_quota);
        let over_quota = self.with(|s| {
            let used = s
                .usage
                .entry((consumer.to_owned(), code.to_owned(), today))
                .or_insert(0);
            *used += 1;
            quota.is_some_and(|q| *used > q)
        });
        if over_quota {
            return ResponseTemplate::new(429)
                .set_body_json(json!({ "idOperazioneANPR": id.to_string() }));
        }
        let (by_cf, key) = match (
            field("/criteriRicerca/codiceFiscale"),
            field("/criteriRicerca/idANPR"),
        ) {
            (Some(cf), None) => (true, cf.to_owned()),
            (None, Some(id)) if code != "C030" => (false, id.to_owned()),
            _ => {
                return govway(
                    400,
                    "InvalidRequestContent",
                    "criteriRicerca needs codiceFiscale (or idANPR, not on C030)",
                );
            }
        };
        let person = self.with(|s| {
            if by_cf {
                s.people.get(&key).cloned()
            } else {
                s.people.values().find(|p| p.id_anpr == key).cloned()
            }
        });
        let Some(person) = person else {
            return ko(404, id, "EN122", "EN122 - Soggetto non registrato in ANPR");
        };
        if person.cancelled {
            return ko(404, id, "EN122", "EN122 - Soggetto cancellato da ANPR");
        }
        let mut subject = json!({ "identificativi": { "idANPR": person.id_anpr } });
        let details = |subject: &mut Value, key: &str, value: Value| {
            if let Some(map) = subject.as_object_mut() {
                map.insert(key.to_owned(), value);
            }
        };
        match code {
            "C030" => {}
            "C015" | "C017" | "C018" => details(&mut subject, "generalita", person.generalita()),
            "C019" => {
                details(&mut subject, "generalita", person.generalita());
                details(&mut subject, "infoSoggettoEnte", person.life_info());
            }
            "C021" => {
                details(&mut subject, "generalita", person.generalita());
                details(
                    &mut subject,
                    "legameSoggetto",
                    json!({ "codiceLegame": "1", "progressivoComponente": "1" }),
                );
            }
            _ => {
                details(&mut subject, "generalita", person.generalita());
                details(&mut subject, "residenza", person.residenza());
                details(&mut subject, "infoSoggettoEnte", person.life_info());
            }
        }
        if code == "C018" {
            details(
                &mut subject,
                "cittadinanza",
                json!([{ "codiceStato": "100", "descrizioneStato": "ITALIA" }]),
            );
        }
        let mut answer = json!({ "idOperazioneANPR": id.to_string(), "listaSoggetti": { "datiSoggetto": [subject] } });
        if by_cf
            && code != "C030"
            && let Some(map) = answer.as_object_mut()
        {
            map.insert(
                "listaAnomalie".into(),
                json!([{ "codiceErroreAnomalia": "EN148", "tipoErroreAnomalia": "W", "testoErroreAnomalia": "Il D.M. 3 marzo 2023 prevede l'accesso tramite identificativo unico nazionale (ID ANPR)" }]),
            );
        }
        ResponseTemplate::new(200).set_body_json(answer)
    }
}
