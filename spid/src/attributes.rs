//! The SPID attribute names (`attributi.rst`, Avvisi 15 and 25).

use std::fmt;

macro_rules! attributes {
    ($($variant:ident => $name:literal: $doc:literal,)*) => {
        /// An attribute an IdP can release, by its SPID name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum SpidAttribute {
            $(#[doc = $doc] $variant,)*
        }

        impl SpidAttribute {
            /// Every attribute of the official list.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// The name as it appears in metadata and assertions.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// The attribute with this SPID name, if it is on the official list.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

attributes! {
    SpidCode => "spidCode": "The SPID code (IdP code and 10 characters).",
    Name => "name": "First name(s).",
    FamilyName => "familyName": "Surname(s).",
    PlaceOfBirth => "placeOfBirth": "Place of birth (Belfiore code).",
    CountyOfBirth => "countyOfBirth": "Province of birth.",
    DateOfBirth => "dateOfBirth": "Date of birth (xs:date).",
    Gender => "gender": "`M` or `F`.",
    CompanyName => "companyName": "A legal entity's name.",
    RegisteredOffice => "registeredOffice": "A legal entity's registered office.",
    FiscalNumber => "fiscalNumber": "The codice fiscale, as `TINIT-<code>`.",
    IvaCode => "ivaCode": "The partita IVA, as `VATIT-<number>`.",
    CompanyFiscalNumber => "companyFiscalNumber": "A legal entity's codice fiscale (Avviso 15).",
    IdCard => "idCard": "The identity document.",
    MobilePhone => "mobilePhone": "Mobile phone.",
    Email => "email": "E-mail.",
    Address => "address": "Physical domicile (superseded by the domicile* attributes, Avviso 25).",
    ExpirationDate => "expirationDate": "Expiry of the identity (xs:date).",
    DigitalAddress => "digitalAddress": "PEC address.",
    DomicileStreetAddress => "domicileStreetAddress": "Domicile: street (Avviso 25).",
    DomicilePostalCode => "domicilePostalCode": "Domicile: postcode (Avviso 25).",
    DomicileMunicipality => "domicileMunicipality": "Domicile: municipality (Avviso 25).",
    DomicileProvince => "domicileProvince": "Domicile: province (Avviso 25).",
    DomicileNation => "domicileNation": "Domicile: nation (Avviso 25).",
}

impl fmt::Display for SpidAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
