//! The GovWay front of ANPR (ModI checks), then ANPR's E002 services.

use super::{AnprSimulator, Token, data, govway, header_of, verify};
use crate::kit::{Call, Reply};
use base64::Engine as _;
use serde_json::{Value, json};

/// Who made a call, as GovWay's checks found: the PDND client, the
/// voucher's purpose, and the tracking evidence's audit identity.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) consumer: String,
    pub(crate) purpose: String,
    pub(crate) user_id: String,
    pub(crate) user_location: String,
    pub(crate) loa: String,
}

/// The e-services the simulator answers: the *accertamento* services
/// return data, the *verifica* ones (C003–C014, C031) answer yes or no per
/// declared datum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    C001,
    C002,
    C003,
    C004,
    C005,
    C006,
    C007,
    C008,
    C009,
    C010,
    C011,
    C012,
    C013,
    C014,
    C015,
    C016,
    C017,
    C018,
    C019,
    C020,
    C021,
    C024,
    C025,
    C029,
    C030,
    C031,
    C033,
}

impl Service {
    pub(crate) const ALL: [Self; 27] = [
        Self::C001,
        Self::C002,
        Self::C003,
        Self::C004,
        Self::C005,
        Self::C006,
        Self::C007,
        Self::C008,
        Self::C009,
        Self::C010,
        Self::C011,
        Self::C012,
        Self::C013,
        Self::C014,
        Self::C015,
        Self::C016,
        Self::C017,
        Self::C018,
        Self::C019,
        Self::C020,
        Self::C021,
        Self::C024,
        Self::C025,
        Self::C029,
        Self::C030,
        Self::C031,
        Self::C033,
    ];

    /// The code, as in `casoUso` and the purposes (`C030`).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::C001 => "C001",
            Self::C002 => "C002",
            Self::C003 => "C003",
            Self::C004 => "C004",
            Self::C005 => "C005",
            Self::C006 => "C006",
            Self::C007 => "C007",
            Self::C008 => "C008",
            Self::C009 => "C009",
            Self::C010 => "C010",
            Self::C011 => "C011",
            Self::C012 => "C012",
            Self::C013 => "C013",
            Self::C014 => "C014",
            Self::C015 => "C015",
            Self::C016 => "C016",
            Self::C017 => "C017",
            Self::C018 => "C018",
            Self::C019 => "C019",
            Self::C020 => "C020",
            Self::C021 => "C021",
            Self::C024 => "C024",
            Self::C025 => "C025",
            Self::C029 => "C029",
            Self::C030 => "C030",
            Self::C031 => "C031",
            Self::C033 => "C033",
        }
    }

    /// The path segment of the e-service on GovWay: PDND's catalogue names
    /// (C011's and C013's by the catalogue's pattern, which lists the
    /// others; none of C005–C014 but C008 has a published spec).
    pub(crate) fn segment(self) -> &'static str {
        match self {
            Self::C001 => "C001-servizioNotifica",
            Self::C002 => "C002-servizioComunicazione",
            Self::C003 => "C003-servizioVerificaDichGeneralita",
            Self::C004 => "C004-servizioVerificaDichDecesso",
            Self::C005 => "C005-servizioVerificaDichStatoMatrimonio",
            Self::C006 => "C006-servizioVerificaDichCittadinanza",
            Self::C007 => "C007-servizioVerificaDichEsistenzaVita",
            Self::C008 => "C008-servizioVerificaDichResidenza",
            Self::C009 => "C009-servizioVerificaDichStatoFamiglia",
            Self::C010 => "C010-servizioVerificaDichStatoLibero",
            Self::C011 => "C011-servizioVerificaDichVedovanza",
            Self::C012 => "C012-servizioVerificaDichPaternita",
            Self::C013 => "C013-servizioVerificaDichMaternita",
            Self::C014 => "C014-servizioVerificaDichUnioneCivile",
            Self::C015 => "C015-servizioAccertamentoGeneralita",
            Self::C016 => "C016-servizioAccertamentoDichDecesso",
            Self::C017 => "C017-servizioAccertamentoMatrimonio",
            Self::C018 => "C018-servizioAccertamentoCittadinanza",
            Self::C019 => "C019-servizioAccertamentoEsistenzaVita",
            Self::C020 => "C020-servizioAccertamentoResidenza",
            Self::C021 => "C021-servizioAccertamentoStatoFamiglia",
            Self::C024 => "C024-servizioAccertamentoPaternita",
            Self::C025 => "C025-servizioAccertamentoMaternita",
            Self::C029 => "C029-servizioAccertamentoDatiAnagrafici",
            Self::C030 => "C030-servizioAccertamentoIdUnicoNazionale",
            Self::C031 => "C031-servizioVerificaIdUnicoNazionale",
            Self::C033 => "C033-servizioAccertamentoResidenzaSenzaDecesso",
        }
    }

    pub(crate) fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    fn from_segment(segment: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.segment() == segment)
    }
}

/// How a request looks its subject up (`criteriRicerca`).
enum Lookup {
    CodiceFiscale(String),
    IdAnpr(String),
    Details(data::Wanted),
}

impl Lookup {
    /// One of the three ways, as `service`'s schema allows: C030's has no
    /// idANPR, C031 verifies one.
    fn of(criteria: &Value, service: Service) -> Result<Self, &'static str> {
        let text = |name: &str| criteria.get(name).and_then(Value::as_str);
        let lookup = match (text("codiceFiscale"), text("idANPR"), text("cognome")) {
            (Some(cf), None, None) => Self::CodiceFiscale(cf.to_owned()),
            (None, Some(id), None) => Self::IdAnpr(id.to_owned()),
            (None, None, Some(_)) => Self::Details(
                data::Wanted::of(criteria)
                    .ok_or("a search by details needs cognome, nome, sesso and datiNascita")?,
            ),
            _ => {
                return Err(
                    "criteriRicerca needs one of codiceFiscale, idANPR or the personal details",
                );
            }
        };
        match (service, &lookup) {
            (Service::C030, Self::IdAnpr(_)) => Err("C030 has no idANPR among its criteria"),
            (Service::C031, Self::CodiceFiscale(_) | Self::Details(_)) => {
                Err("C031 verifies an idANPR: criteriRicerca.idANPR is required")
            }
            _ => Ok(lookup),
        }
    }
}

fn invalid(detail: &str) -> Reply {
    govway(
        400,
        "InteroperabilityInvalidRequest",
        &format!(
            "Received request is not conform to the required interoperability profile: {detail}"
        ),
    )
}

fn unauthenticated(reason: &str) -> Reply {
    govway(401, "AuthenticationRequired", reason).header(
        "www-authenticate",
        format!("Bearer realm=\"PDND\", error=\"invalid_token\", error_description=\"{reason}\"")
            .as_str(),
    )
}

fn ko(status: u16, id: u64, code: &str, text: &str) -> Reply {
    Reply::new(status).json(&json!({
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
    /// `POST …/{segment}/v1/anpr-service-e002`: GovWay's checks, then ANPR.
    pub(super) fn anpr(&self, call: &Call<'_>, segment: &str) -> Reply {
        let Some(service) = Service::from_segment(segment) else {
            return govway(404, "UnknownResource", "no such e-service");
        };
        match self.modi(call, service) {
            Ok(caller) => self.e002(call, service, &caller),
            Err(response) => *response,
        }
    }

    /// GovWay's ModI checks; the consumer (client id) when they pass.
    fn modi(&self, call: &Call<'_>, service: Service) -> Result<Caller, Box<Reply>> {
        let header = |name: &str| call.header(name);
        let (now, tolerance, _) = self.now_and_tolerance();
        let audience = self.modi_audience(service.segment());
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
            .is_some_and(|approved| *approved == service);
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
            base64::engine::general_purpose::STANDARD.encode(sha256(call.body()))
        );
        if header("digest") != Some(body_digest.as_str()) {
            return Err(Box::new(invalid(
                "the Digest header does not match the body",
            )));
        }
        let claim = |name: &str| evidence.str(name).unwrap_or_default().to_owned();
        Ok(Caller {
            consumer,
            purpose: voucher.str("purposeId").unwrap_or_default().to_owned(),
            user_id: claim("userID"),
            user_location: claim("userLocation"),
            loa: claim("LoA"),
        })
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
        let jti = token.str("jti")?;
        let exp = token.int("exp")?;
        let (now, tolerance, _) = self.now_and_tolerance();
        // A replayed token is refused while it could pass: tokens are single-use.
        let until = exp.saturating_add(tolerance);
        self.with(|s| s.seen.first_use(jti, until, now))
            .then_some(token)
    }

    /// ANPR's application: body, use case, quota, subjects.
    fn e002(&self, call: &Call<'_>, service: Service, caller: &Caller) -> Reply {
        let consumer = caller.consumer.as_str();
        let code = service.code();
        let Ok(body) = serde_json::from_slice::<Value>(call.body()) else {
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
            s.calls.push_back(super::ReceivedCall {
                service: code.to_owned(),
                purpose_id: caller.purpose.clone(),
                operation_id: operation.to_owned(),
                user_id: caller.user_id.clone(),
                user_location: caller.user_location.clone(),
                loa: caller.loa.clone(),
                consumer: caller.consumer.clone(),
            });
            while s.calls.len() > super::MAX_CALLS {
                s.calls.pop_front();
            }
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
            // Counts of past days are never read again.
            s.usage.retain(|(_, _, day), _| *day == today);
            let used = s
                .usage
                .entry((consumer.to_owned(), code.to_owned(), today))
                .or_insert(0);
            *used += 1;
            quota.is_some_and(|q| *used > q)
        });
        if over_quota {
            return Reply::new(429).json(&json!({ "idOperazioneANPR": id.to_string() }));
        }
        let criteria = body.get("criteriRicerca").cloned().unwrap_or(Value::Null);
        let lookup = match Lookup::of(&criteria, service) {
            Ok(lookup) => lookup,
            Err(detail) => return govway(400, "InvalidRequestContent", detail),
        };
        let by_cf = matches!(lookup, Lookup::CodiceFiscale(_));
        let found: Vec<data::Person> = self.with(|s| match &lookup {
            Lookup::CodiceFiscale(cf) => s.people.get(cf).cloned().into_iter().collect(),
            Lookup::IdAnpr(id) => s
                .people
                .values()
                .filter(|p| p.id_anpr == *id)
                .cloned()
                .collect(),
            Lookup::Details(wanted) => s
                .people
                .values()
                .filter(|p| wanted.matches(p))
                .cloned()
                .collect(),
        });
        let person = match found.as_slice() {
            [] => return ko(404, id, "EN122", "EN122 - Soggetto non registrato in ANPR"),
            [person] => person.clone(),
            _ => {
                return ko(
                    400,
                    id,
                    "EN067",
                    "Trovati piu' soggetti per i dati anagrafici specificati nella richiesta",
                );
            }
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
        // The other members of the family, each with their tie.
        let relatives: Vec<(data::Person, String)> = self.with(|s| {
            person
                .family
                .iter()
                .filter_map(|(cf, relation)| Some((s.people.get(cf)?.clone(), relation.clone())))
                .collect()
        });
        match service {
            Service::C030 => {}
            Service::C015 | Service::C018 => {
                details(&mut subject, "generalita", person.generalita());
            }
            Service::C016 => {
                details(&mut subject, "generalita", person.generalita());
                if person.deceased {
                    let day = person
                        .death_date
                        .as_ref()
                        .map(|d| json!({ "dataEvento": d }));
                    details(
                        &mut subject,
                        "datiDecesso",
                        day.unwrap_or_else(|| json!({})),
                    );
                }
            }
            // The parent of the service's sex among those tied by `6`.
            Service::C024 | Service::C025 => {
                details(&mut subject, "generalita", person.generalita());
                let (block, sex) = if service == Service::C024 {
                    ("paternita", "M")
                } else {
                    ("maternita", "F")
                };
                if let Some(parent) = verify::relative(&relatives, "6", Some(sex)) {
                    details(
                        &mut subject,
                        block,
                        json!({ "generalita": parent.generalita() }),
                    );
                }
            }
            Service::C017 => {
                details(&mut subject, "generalita", person.generalita());
                if let Some(spouse) = verify::relative(&relatives, "2", None) {
                    details(
                        &mut subject,
                        "matrimonio",
                        json!({ "coniuge": spouse.generalita(), "ordineMatrimonio": "1" }),
                    );
                }
            }
            Service::C019 => {
                details(&mut subject, "generalita", person.generalita());
                details(&mut subject, "infoSoggettoEnte", person.life_info());
            }
            Service::C021 => {
                details(&mut subject, "generalita", person.generalita());
                details(
                    &mut subject,
                    "legameSoggetto",
                    json!({ "codiceLegame": "1", "progressivoComponente": "1" }),
                );
            }
            // Notification (C001) needs the residence as much as C020 does;
            // C029 is the whole record; a communication (C002) also goes
            // to the digital domicile, when there is one.
            Service::C001 | Service::C002 | Service::C020 | Service::C029 => {
                details(&mut subject, "generalita", person.generalita());
                details(&mut subject, "residenza", person.residenza());
                details(&mut subject, "infoSoggettoEnte", person.life_info());
                if service == Service::C002
                    && let Some(address) = &person.digital_domicile
                {
                    details(
                        &mut subject,
                        "domicilioDigitale",
                        json!({ "indirizzoDigitale": address }),
                    );
                }
            }
            // C033 leaves the death datum out.
            Service::C033 => {
                details(&mut subject, "generalita", person.generalita());
                details(&mut subject, "residenza", person.residenza());
            }
            Service::C003
            | Service::C004
            | Service::C005
            | Service::C006
            | Service::C007
            | Service::C008
            | Service::C009
            | Service::C010
            | Service::C011
            | Service::C012
            | Service::C013
            | Service::C014
            | Service::C031 => {
                let declared = body.get("verifica").cloned().unwrap_or(Value::Null);
                match super::verify::checks(service, &person, &relatives, &declared) {
                    Ok(checks) => details(&mut subject, "infoSoggettoEnte", checks),
                    Err(detail) => return govway(400, "InvalidRequestContent", detail),
                }
            }
        }
        if service == Service::C018 {
            details(
                &mut subject,
                "cittadinanza",
                json!([{ "codiceStato": "100", "descrizioneStato": "ITALIA" }]),
            );
        }
        let mut subjects = vec![subject];
        if service == Service::C021 {
            // The other members, each with their tie to the subject.
            for (index, (member, relation)) in relatives.iter().enumerate() {
                subjects.push(json!({
                    "identificativi": { "idANPR": member.id_anpr },
                    "generalita": member.generalita(),
                    "legameSoggetto": { "codiceLegame": relation, "progressivoComponente": (index + 2).to_string() },
                }));
            }
        }
        let mut answer = json!({ "idOperazioneANPR": id.to_string(), "listaSoggetti": { "datiSoggetto": subjects } });
        if by_cf
            && service != Service::C030
            && let Some(map) = answer.as_object_mut()
        {
            map.insert(
                "listaAnomalie".into(),
                json!([{ "codiceErroreAnomalia": "EN148", "tipoErroreAnomalia": "W", "testoErroreAnomalia": "Il D.M. 3 marzo 2023 prevede l'accesso tramite identificativo unico nazionale (ID ANPR)" }]),
            );
        }
        Reply::new(200).json(&answer)
    }
}
