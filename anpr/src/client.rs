//! The ANPR client: one call, and a helper per e-service.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use abilita_core::http::{HeaderName, HeaderValue};
use abilita_core::{
    ApiRequest, BaseUrl, BoxFuture, CodiceFiscale, Error, InvalidInput, Operation, RetryPolicy,
    Transport,
};
use serde_json::Value;
use time::Date;

use crate::config::{AnprConfig, AuditIdentity, ConfigRule};
use crate::error::AnprError;
use crate::model::{
    Anomaly, Citizenship, DeathData, Marriage, Parent, PersonalDetails, Request, RequestData,
    Residence, Response, Subject, SubjectData,
};
use crate::modi::ModiSigner;
use crate::service::EService;
use crate::voucher::VoucherClient;

/// The longest `idOperazioneClient` ANPR accepts.
pub const MAX_OPERATION_ID: usize = 30;

/// ANPR's retry rules: three attempts of a consultation, each signed afresh
/// with its own voucher (ANPR and PDND refuse a token seen before), when
/// ANPR or PDND fail or throttle; backoff from 500 ms, waits up to 30 s.
/// Give them to the `anpr` transport of [`AnprClient::with_transports`].
#[must_use]
pub fn default_retry_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::from_millis(500))
        .max_delay(Duration::from_secs(30))
}

/// Why and as of when a subject is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Query {
    /// The administrative reference: protocol number, file, report.
    pub reason: String,
    /// The date the record is read as of.
    pub reference_date: Date,
    /// Who acts, when not the configuration's audit identity (see
    /// [`Query::on_behalf_of`]).
    pub audit: Option<AuditIdentity>,
}

impl Query {
    /// A consultation for `reason` (a protocol number, a file), reading the
    /// record as of `reference_date`.
    #[must_use]
    pub fn new(reason: impl Into<String>, reference_date: Date) -> Self {
        Self {
            reason: reason.into(),
            reference_date,
            audit: None,
        }
    }

    /// The consultation on behalf of `audit`, this call's operator: the
    /// tracking evidence (AUDIT_REST_02) is per call, and a back office
    /// with many operators names each one. Without it, the configuration's
    /// audit identity acts.
    #[must_use]
    pub fn on_behalf_of(mut self, audit: AuditIdentity) -> Self {
        self.audit = Some(audit);
        self
    }
}

/// An answer with ANPR's id of the operation and its warnings.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Answer<T> {
    /// What was asked.
    pub value: T,
    /// ANPR's id of the operation, for support.
    pub id_operazione_anpr: Option<String>,
    /// Warnings, such as EN148 after a search by codice fiscale.
    pub warnings: Vec<Anomaly>,
}

/// Whether a subject is alive, from C019.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LifeStatus {
    /// Alive.
    Alive,
    /// Deceased, with the date when ANPR gives it.
    Deceased {
        /// `YYYY-MM-DD`.
        date: Option<String>,
    },
    /// ANPR did not say.
    Unknown,
}

/// Operation ids unique across instances: a 16-digit sequence (milliseconds
/// × 1000 + a counter, increasing in this client) followed by the 4-digit
/// instance ([`AnprConfig::instance`]). Numeric and increasing, as C001
/// wants; 20 characters, within every service's 30. Two instances with
/// different numbers never send the same id, even in the same millisecond:
/// ANPR answers a repeated id of C001 with the *earlier* answer, which may
/// be about another citizen.
#[derive(Debug)]
struct OperationIds {
    sequence: AtomicU64,
    instance: u16,
}

impl OperationIds {
    fn new(instance: u16) -> Self {
        Self {
            sequence: AtomicU64::new(0),
            instance,
        }
    }

    fn next(&self, now_millis: u64) -> String {
        let candidate = now_millis.saturating_mul(1000);
        let previous = self
            .sequence
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(candidate.max(last.saturating_add(1)))
            });
        let id = previous.map_or(candidate, |last| candidate.max(last.saturating_add(1)));
        format!("{id:016}{:04}", self.instance)
    }
}

/// A client of ANPR's e-services for one municipality.
#[derive(Debug)]
pub struct AnprClient {
    config: AnprConfig,
    signer: ModiSigner,
    vouchers: VoucherClient,
    anpr: Transport,
    ids: OperationIds,
}

const AGID_SIGNATURE: HeaderName = HeaderName::from_static("agid-jwt-signature");
const AGID_TRACKING: HeaderName = HeaderName::from_static("agid-jwt-trackingevidence");
const DIGEST: HeaderName = HeaderName::from_static("digest");

/// The platforms' names in errors: PDND issues vouchers, ANPR answers.
/// Give them to transports built by hand ([`AnprClient::with_transports`])
/// with `TransportBuilder::platform`.
pub const PDND: &str = "PDND";
/// See [`PDND`].
pub const ANPR: &str = "ANPR";

impl AnprClient {
    /// A client for `config`'s environment.
    ///
    /// # Errors
    /// Unusable URLs, key or TLS material.
    pub fn new(config: AnprConfig) -> Result<Self, Error> {
        let build = |url: &str| -> Result<Transport, Error> {
            let mut builder = Transport::builder(BaseUrl::parse(url)?)
                .platform(PDND)
                .retry_policy(RetryPolicy::never());
            if let Some(pem) = &config.extra_root_certificates {
                builder = builder.add_root_certificates_pem(pem);
            }
            builder.build()
        };
        // A retried token request would send its assertion's `jti` again:
        // the consultation retries instead, signing a new assertion.
        let token = build(&config.endpoints.token_url)?;
        let anpr = Transport::builder(BaseUrl::parse(&config.endpoints.anpr_prefix)?)
            .platform(ANPR)
            .retry_policy(default_retry_policy());
        let anpr = match &config.extra_root_certificates {
            Some(pem) => anpr.add_root_certificates_pem(pem),
            None => anpr,
        }
        .build()?;
        Self::with_transports(config, token, anpr)
    }

    /// A client over transports of the caller's: `token` at PDND's token
    /// URL, `anpr` at ANPR's call prefix (a simulator's, say). `anpr`'s
    /// retry policy governs a consultation's attempts, each signed afresh
    /// with its own voucher ([`default_retry_policy`] is ANPR's); give
    /// `token` no retries ([`RetryPolicy::never`]), as a retried token
    /// request would send its assertion's `jti` again, which PDND may
    /// refuse. Time is read from `anpr`'s clock.
    ///
    /// # Errors
    /// An unusable private key.
    pub fn with_transports(
        config: AnprConfig,
        token: Transport,
        anpr: Transport,
    ) -> Result<Self, Error> {
        let signer = ModiSigner::new(&config, anpr.clock().clone())?;
        let vouchers = VoucherClient::new(token, &config.client_id);
        let ids = OperationIds::new(config.instance);
        Ok(Self {
            config,
            signer,
            vouchers,
            anpr,
            ids,
        })
    }

    /// The signer, for callers that route calls through their own gateway.
    #[must_use]
    pub fn signer(&self) -> &ModiSigner {
        &self.signer
    }

    /// Consults `service` about `subject`: signs, obtains a voucher, calls,
    /// and retries with fresh tokens when ANPR or PDND fail or throttle.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a service without a purpose or an empty
    /// reason; else [`AnprError`] and the transport's errors.
    pub async fn consult(
        &self,
        service: EService,
        subject: &Subject,
        query: &Query,
    ) -> Result<Response, Error<AnprError>> {
        if service.verifies() {
            return Err(InvalidInput::new(
                "verifica",
                ConfigRule("a verifica service checks a declaration: call AnprClient::verify"),
            )
            .into());
        }
        self.send(service, subject, None, query).await
    }

    /// Sends one E002 request of `service` (with the `verifica` block of a
    /// verification), after the checks every service shares.
    pub(crate) async fn send(
        &self,
        service: EService,
        subject: &Subject,
        verification: Option<&Value>,
        query: &Query,
    ) -> Result<Response, Error<AnprError>> {
        if !service.accepts(subject) {
            return Err(InvalidInput::new(
                "criteriRicerca",
                ConfigRule(
                    "C030 looks up a codice fiscale or personal details (its schema has no idANPR); C031 verifies an idANPR",
                ),
            )
            .into());
        }
        let purpose = self.config.purposes.get(&service).ok_or_else(|| {
            InvalidInput::new(
                "purpose_id",
                ConfigRule("no purpose configured for this e-service"),
            )
        })?;
        if query.reason.trim().is_empty() {
            return Err(InvalidInput::new(
                "motivoRichiesta",
                ConfigRule("the administrative reference is required"),
            )
            .into());
        }
        let consultation = Consultation {
            client: self,
            service,
            purpose,
            subject,
            verification,
            query,
        };
        self.anpr.call(&consultation).await?.json()
    }
}

/// One consultation: each attempt gets a new operation id, new ModI
/// tokens and a new voucher, so no token is ever sent twice.
struct Consultation<'a> {
    client: &'a AnprClient,
    service: EService,
    purpose: &'a str,
    subject: &'a Subject,
    verification: Option<&'a Value>,
    query: &'a Query,
}

impl Operation<AnprError> for Consultation<'_> {
    fn request(&self, _attempt: u32) -> BoxFuture<'_, Result<ApiRequest, Error<AnprError>>> {
        Box::pin(self.signed_request())
    }
}

impl Consultation<'_> {
    async fn signed_request(&self) -> Result<ApiRequest, Error<AnprError>> {
        let client = self.client;
        let service = self.service;
        let now_millis =
            u64::try_from(client.anpr.clock().now().unix_timestamp_nanos() / 1_000_000)
                .unwrap_or(0);
        let request = Request {
            id_operazione_client: client.ids.next(now_millis),
            criteri_ricerca: self.subject.into(),
            verifica: self.verification.cloned(),
            dati_richiesta: RequestData {
                data_riferimento_richiesta: self.query.reference_date,
                motivo_richiesta: self.query.reason.clone(),
                caso_uso: service.code().to_owned(),
            },
        };
        let body = serde_json::to_vec(&request).map_err(|e| InvalidInput::new("request", e))?;
        let audit = self.query.audit.as_ref().unwrap_or(&client.config.audit);
        let prepared = client
            .signer
            .prepare_as(
                &client.config.audience_of(service),
                self.purpose,
                &body,
                audit,
            )
            .map_err(|e| InvalidInput::new("private_key", e))?;
        let voucher = client
            .vouchers
            .voucher(&prepared.client_assertion, None)
            .await?;
        let header =
            |value: &str| HeaderValue::from_str(value).map_err(|e| InvalidInput::new("header", e));
        let mut bearer = header(&format!("Bearer {}", voucher.expose_secret()))?;
        bearer.set_sensitive(true);
        Ok(ApiRequest::post("/{service}/v1/anpr-service-e002")
            .operation(service.segment())
            .path_param("service", client.config.segment_of(service))
            .header(abilita_core::http::header::AUTHORIZATION, bearer)
            .header(AGID_SIGNATURE, header(&prepared.integrity)?)
            .header(AGID_TRACKING, header(&prepared.tracking_evidence)?)
            .header(DIGEST, header(&prepared.digest)?)
            .body(HeaderValue::from_static("application/json"), body)
            // A consultation reads: safe to resend (each attempt re-signs).
            .retry_safe())
    }
}

impl AnprClient {
    /// C030 by personal details: the idANPR of the one person with these
    /// surname, name, sex, date and place of birth.
    ///
    /// # Errors
    /// As [`AnprClient::consult`]; [`AnprError::NotFound`] when nobody
    /// matches; ANPR's EN067 when several do.
    pub async fn id_anpr_by_details(
        &self,
        identity: &crate::model::Identity,
        query: &Query,
    ) -> Result<Answer<Option<String>>, Error<AnprError>> {
        let subject = Subject::Details(identity.clone());
        self.answer(EService::C030IdUnicoNazionale, &subject, query, |r| {
            r.subjects()
                .iter()
                .find_map(|s| s.identificativi.as_ref()?.id_anpr.clone())
        })
        .await
    }

    /// C030: the national unique id (idANPR) of a codice fiscale, the first
    /// step of every other consultation.
    ///
    /// # Errors
    /// As [`AnprClient::consult`]; [`AnprError::NotFound`] for an unknown code.
    pub async fn id_anpr(
        &self,
        fiscal_code: &CodiceFiscale,
        query: &Query,
    ) -> Result<Answer<Option<String>>, Error<AnprError>> {
        let subject = Subject::CodiceFiscale(fiscal_code.clone());
        self.answer(EService::C030IdUnicoNazionale, &subject, query, |r| {
            r.subjects()
                .iter()
                .find_map(|s| s.identificativi.as_ref()?.id_anpr.clone())
        })
        .await
    }

    /// C020: residences.
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn residence(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Vec<Residence>>, Error<AnprError>> {
        self.answer(EService::C020Residenza, subject, query, |r| {
            r.subjects()
                .first()
                .map(|s| s.residenza.clone())
                .unwrap_or_default()
        })
        .await
    }

    /// C021: the members of the subject's family, one entry each.
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn family(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Vec<SubjectData>>, Error<AnprError>> {
        self.answer(EService::C021StatoFamiglia, subject, query, |r| {
            r.subjects().to_vec()
        })
        .await
    }

    /// C019: whether the subject is alive.
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn life_status(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<LifeStatus>, Error<AnprError>> {
        self.answer(EService::C019EsistenzaVita, subject, query, |r| {
            r.subjects()
                .first()
                .map_or(LifeStatus::Unknown, life_status)
        })
        .await
    }

    /// C015: personal details.
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn personal_details(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Option<PersonalDetails>>, Error<AnprError>> {
        self.answer(EService::C015Generalita, subject, query, |r| {
            r.subjects().first().and_then(|s| s.generalita.clone())
        })
        .await
    }

    /// C018: citizenships.
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn citizenship(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Vec<Citizenship>>, Error<AnprError>> {
        self.answer(EService::C018Cittadinanza, subject, query, |r| {
            r.subjects()
                .first()
                .map(|s| s.cittadinanza.clone())
                .unwrap_or_default()
        })
        .await
    }

    /// C016: the death datum (`datiDecesso`); `None` for a subject ANPR
    /// records no death of.
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn death(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Option<DeathData>>, Error<AnprError>> {
        self.answer(EService::C016Decesso, subject, query, |r| {
            r.subjects().first().and_then(|s| s.dati_decesso.clone())
        })
        .await
    }

    /// C017: the marriage (spouse, date and place, which marriage);
    /// `None` for a subject ANPR records as unmarried.
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn marriage(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Option<Marriage>>, Error<AnprError>> {
        self.answer(EService::C017Matrimonio, subject, query, |r| {
            r.subjects().first().and_then(|s| s.matrimonio.clone())
        })
        .await
    }

    /// C024: the subject's father as ANPR records him; `None` when it
    /// records none.
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn father(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Option<Parent>>, Error<AnprError>> {
        self.answer(EService::C024Paternita, subject, query, |r| {
            r.subjects().first().and_then(|s| s.paternita.clone())
        })
        .await
    }

    /// C025: the subject's mother as ANPR records her; `None` when it
    /// records none.
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn mother(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Option<Parent>>, Error<AnprError>> {
        self.answer(EService::C025Maternita, subject, query, |r| {
            r.subjects().first().and_then(|s| s.maternita.clone())
        })
        .await
    }

    /// C029: the subject's registry data (details, residence, life
    /// status), as one record.
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn registry_data(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Option<SubjectData>>, Error<AnprError>> {
        self.answer(EService::C029DatiAnagrafici, subject, query, |r| {
            r.subjects().first().cloned()
        })
        .await
    }

    /// C033: residences without the death datum (a service PDND grants to
    /// few consumers; the others use C020).
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn residence_without_death(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Vec<Residence>>, Error<AnprError>> {
        self.answer(EService::C033ResidenzaSenzaDecesso, subject, query, |r| {
            r.subjects()
                .first()
                .map(|s| s.residenza.clone())
                .unwrap_or_default()
        })
        .await
    }

    /// C001: the subject's data for notifying a deed (details, residence,
    /// life status).
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn notification(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Option<SubjectData>>, Error<AnprError>> {
        self.answer(EService::C001Notifica, subject, query, |r| {
            r.subjects().first().cloned()
        })
        .await
    }

    /// C002: the subject's data for an institutional communication
    /// (details, residence, life status, and the digital domicile in
    /// [`SubjectData::domicilio_digitale`] when they elected one).
    ///
    /// # Errors
    /// As [`AnprClient::consult`].
    pub async fn communication(
        &self,
        subject: &Subject,
        query: &Query,
    ) -> Result<Answer<Option<SubjectData>>, Error<AnprError>> {
        self.answer(EService::C002Comunicazione, subject, query, |r| {
            r.subjects().first().cloned()
        })
        .await
    }

    async fn answer<T>(
        &self,
        service: EService,
        subject: &Subject,
        query: &Query,
        extract: impl FnOnce(&Response) -> T,
    ) -> Result<Answer<T>, Error<AnprError>> {
        let response = self.consult(service, subject, query).await?;
        let value = extract(&response);
        Ok(Answer {
            value,
            id_operazione_anpr: response.id_operazione_anpr,
            warnings: response.lista_anomalie,
        })
    }
}

/// Life status from `infoSoggettoEnte` (id 1003 `S`/`N`, 1015 the date) or
/// `datiDecesso`.
fn life_status(subject: &SubjectData) -> LifeStatus {
    let info = |id: &str| {
        subject
            .info_soggetto_ente
            .iter()
            .find(|i| i.id.as_deref() == Some(id))
    };
    let death_date = info("1015")
        .and_then(|i| i.valore_data.clone())
        .or_else(|| {
            subject
                .dati_decesso
                .as_ref()
                .and_then(|d| d.data_evento.clone())
        });
    match info("1003").and_then(|i| i.valore.as_deref()) {
        Some("S") => LifeStatus::Alive,
        Some("N") => LifeStatus::Deceased { date: death_date },
        _ if death_date.is_some() || subject.dati_decesso.is_some() => {
            LifeStatus::Deceased { date: death_date }
        }
        _ => LifeStatus::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_increase_and_fit() {
        let ids = OperationIds::new(42);
        let (a, b, c) = (
            ids.next(1_764_000_000_000),
            ids.next(1_764_000_000_000),
            ids.next(1_763_000_000_000),
        );
        let parse = |s: &str| s.parse::<u128>().unwrap();
        assert!(
            parse(&a) < parse(&b) && parse(&b) < parse(&c),
            "{a} {b} {c}"
        );
        assert!(a.len() <= MAX_OPERATION_ID && a.ends_with("0042"), "{a}");
    }
}
