//! Who signs the certificates (PAdES-B-B, see [`crate::pdf::sign`]): a key and its X.509
//! certificate, either the school's own from a PKCS#12 file (`ASSIDU_SIGNING_P12`), or one
//! generated once per installation and kept in the database (a self-signed ECDSA P-256
//! certificate in the school's name, valid ten years).
//!
//! The CMS `SignedData` is written here, detached (the PDF's byte ranges are the content),
//! with the signed attributes PAdES asks for: content-type, message-digest and ESS
//! signing-certificate-v2. The signing time goes in the signature dictionary's `/M`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, anyhow, bail};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::{rfc5911, rfc5912};
use der::asn1::{Any, OctetString, SetOfVec, Utf8StringRef};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::{Attribute, AttributeTypeAndValue};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;

use crate::db::{Db, signing_keys};

/// The self-signed certificate's lifetime: about ten years.
const SELF_SIGNED_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// A private key of a kind PAdES validators accept.
enum Key {
    P256(p256::ecdsa::SigningKey),
    Rsa(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
}

impl Key {
    /// A PKCS#8 `PrivateKeyInfo` (DER): ECDSA P-256 or RSA.
    fn from_pkcs8(der: &[u8]) -> anyhow::Result<Key> {
        use p256::pkcs8::DecodePrivateKey;
        if let Ok(key) = p256::SecretKey::from_pkcs8_der(der) {
            return Ok(Key::P256(key.into()));
        }
        match rsa::RsaPrivateKey::from_pkcs8_der(der) {
            Ok(key) => Ok(Key::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(key)))),
            Err(_) => bail!("the key is neither ECDSA P-256 nor RSA"),
        }
    }

    /// The public key, as a certificate carries it.
    fn public_key_info(&self) -> anyhow::Result<Vec<u8>> {
        use spki::EncodePublicKey;
        let doc = match self {
            Key::P256(k) => k.verifying_key().to_public_key_der()?,
            Key::Rsa(k) => rsa::RsaPublicKey::from(k.as_ref().as_ref()).to_public_key_der()?,
        };
        Ok(doc.as_bytes().to_vec())
    }

    /// Signs `message` (SHA-256 inside); answers the signature and its algorithm.
    fn sign(&self, message: &[u8]) -> (Vec<u8>, AlgorithmIdentifierOwned) {
        match self {
            Key::P256(k) => {
                use p256::ecdsa::signature::Signer;
                let signature: p256::ecdsa::DerSignature = k.sign(message);
                (
                    signature.as_bytes().to_vec(),
                    AlgorithmIdentifierOwned {
                        oid: rfc5912::ECDSA_WITH_SHA_256,
                        parameters: None,
                    },
                )
            }
            Key::Rsa(k) => {
                use rsa::signature::{SignatureEncoding, Signer};
                let signature = k.sign(message);
                (
                    signature.to_vec(),
                    AlgorithmIdentifierOwned {
                        oid: rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
                        parameters: Some(Any::null()),
                    },
                )
            }
        }
    }
}

/// Where the signing key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The school's own certificate, from the PKCS#12 file of `ASSIDU_SIGNING_P12`.
    Configured,
    /// The installation's self-signed certificate, generated on first use.
    Installation,
}

/// A signing key, its certificate and the certificates that issued it.
pub struct Credentials {
    key: Key,
    certificate: Certificate,
    certificate_der: Vec<u8>,
    /// Issuers of the signing certificate (from the PKCS#12 file), embedded too.
    chain: Vec<Certificate>,
    origin: Origin,
    /// The ESS signing-certificate-v2 attribute, the same for every signature.
    signing_certificate: Attribute,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("subject", &self.subject())
            .field("fingerprint", &self.fingerprint())
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    fn new(
        key: Key,
        certificate_der: Vec<u8>,
        chain: Vec<Certificate>,
        origin: Origin,
    ) -> anyhow::Result<Self> {
        let certificate =
            Certificate::from_der(&certificate_der).context("the certificate is not DER X.509")?;
        let certified = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()?;
        if certified != key.public_key_info()? {
            bail!("the certificate is not the private key's");
        }
        let signing_certificate = signing_certificate_v2(&certificate, &certificate_der)?;
        Ok(Credentials {
            key,
            certificate,
            certificate_der,
            chain,
            origin,
            signing_certificate,
        })
    }

    /// Opens a PKCS#12 file: its first private key and the certificates of its chain.
    pub fn from_pkcs12(bytes: &[u8], password: &str) -> anyhow::Result<Self> {
        let store = p12_keystore::KeyStore::from_pkcs12(bytes, password)
            .map_err(|e| anyhow!("cannot open the PKCS#12 file (wrong password?): {e}"))?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| anyhow!("the PKCS#12 file holds no private key with its certificate"))?;
        let key = Key::from_pkcs8(chain.key())?;
        let mut certificates = chain.chain().iter();
        let leaf = certificates
            .next()
            .ok_or_else(|| anyhow!("the PKCS#12 file holds no certificate for its key"))?;
        let issuers = certificates
            .map(|c| Certificate::from_der(c.as_der()).context("a certificate of the chain"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Credentials::new(key, leaf.as_der().to_vec(), issuers, Origin::Configured)
    }

    /// The installation's key as stored: PKCS#8 key and DER certificate.
    pub fn from_stored(key_pkcs8: &[u8], certificate_der: &[u8]) -> anyhow::Result<Self> {
        Credentials::new(
            Key::from_pkcs8(key_pkcs8)?,
            certificate_der.to_vec(),
            Vec::new(),
            Origin::Installation,
        )
    }

    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// The signing certificate (DER).
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The certificate's subject, as RFC 4514 text (`CN=…,O=…`).
    pub fn subject(&self) -> String {
        self.certificate.tbs_certificate.subject.to_string()
    }

    /// SHA-256 of the certificate (hex, lower case).
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(&self.certificate_der))
    }

    /// Bytes to reserve in the PDF for [`Credentials::sign_digest`]'s answer: the
    /// certificates, the signature and the attributes, with room to spare.
    pub fn reserve(&self) -> usize {
        let chain: usize = self
            .chain
            .iter()
            .map(|c| c.to_der().map(|d| d.len()).unwrap_or(4096))
            .sum();
        self.certificate_der.len() + chain + 2048
    }

    /// A detached CMS `SignedData` (DER) over content whose SHA-256 is `digest`.
    pub fn sign_digest(&self, digest: &[u8]) -> anyhow::Result<Vec<u8>> {
        let attributes = vec![
            attribute(
                rfc5911::ID_CONTENT_TYPE,
                Any::encode_from(&rfc5911::ID_DATA)?,
            )?,
            attribute(
                rfc5911::ID_MESSAGE_DIGEST,
                Any::encode_from(&OctetString::new(digest)?)?,
            )?,
            self.signing_certificate.clone(),
        ];
        // A SET OF: sorted by their encoding, which is also what gets signed.
        let signed_attrs = SetOfVec::try_from(attributes)?;
        let (signature, signature_algorithm) = self.key.sign(&signed_attrs.to_der()?);
        let tbs = &self.certificate.tbs_certificate;
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer.clone(),
                serial_number: tbs.serial_number.clone(),
            }),
            digest_alg: sha256_algorithm(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm,
            signature: OctetString::new(signature)?,
            unsigned_attrs: None,
        };
        let certificates = std::iter::once(self.certificate.clone())
            .chain(self.chain.iter().cloned())
            .map(CertificateChoices::Certificate)
            .collect::<Vec<_>>();
        let signed_data = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![sha256_algorithm()])?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: rfc5911::ID_DATA,
                econtent: None,
            },
            certificates: Some(CertificateSet(SetOfVec::try_from(certificates)?)),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer])?),
        };
        let content = ContentInfo {
            content_type: rfc5911::ID_SIGNED_DATA,
            content: Any::encode_from(&signed_data)?,
        };
        Ok(content.to_der()?)
    }
}

impl crate::pdf::sign::CmsSigner for Credentials {
    fn reserve(&self) -> usize {
        Credentials::reserve(self)
    }

    fn sign(&self, digest: &[u8; 32]) -> anyhow::Result<Vec<u8>> {
        self.sign_digest(digest)
    }
}

fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: rfc5912::ID_SHA_256,
        parameters: None,
    }
}

fn attribute(oid: der::oid::ObjectIdentifier, value: Any) -> anyhow::Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// ESS `SigningCertificateV2` (RFC 5035): the signer's certificate by its SHA-256 (the
/// default hash, so not named) and its issuer and serial number.
#[derive(der::Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

#[derive(der::Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
    issuer_serial: IssuerSerial,
}

#[derive(der::Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial_number: SerialNumber,
}

fn signing_certificate_v2(certificate: &Certificate, der: &[u8]) -> anyhow::Result<Attribute> {
    let tbs = &certificate.tbs_certificate;
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(Sha256::digest(der).to_vec())?,
            issuer_serial: IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer.clone())],
                serial_number: tbs.serial_number.clone(),
            },
        }],
    };
    attribute(
        rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2,
        Any::encode_from(&value)?,
    )
}

/// A new ECDSA P-256 key and its self-signed certificate (CN and O: the school's name,
/// valid from yesterday for ten years): PKCS#8 key and DER certificate.
pub fn generate_self_signed(school_name: &str) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    use p256::pkcs8::EncodePrivateKey;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
    use x509_cert::time::{Time, Validity};

    let secret = loop {
        if let Ok(secret) = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
            break secret;
        }
    };
    let key = p256::ecdsa::SigningKey::from(&secret);
    let name = school_name.trim();
    let name = if name.is_empty() { "assidu" } else { name };
    let subject = school_name_rdn(name)?;
    let mut serial = rand::random::<[u8; 16]>();
    serial[0] = (serial[0] & 0x7f) | 0x01;
    let from = SystemTime::now() - Duration::from_secs(24 * 3600);
    let validity = Validity {
        not_before: Time::try_from(from)?,
        not_after: Time::try_from(from + SELF_SIGNED_VALIDITY)?,
    };
    let spki = spki::SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())?;
    let key_id = Sha256::digest(spki.subject_public_key.raw_bytes());
    let mut builder = CertificateBuilder::new(
        Profile::Manual { issuer: None },
        SerialNumber::new(&serial)?,
        validity,
        subject,
        spki,
        &key,
    )?;
    builder.add_extension(&BasicConstraints {
        ca: false,
        path_len_constraint: None,
    })?;
    builder.add_extension(&KeyUsage(
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
    ))?;
    builder.add_extension(&SubjectKeyIdentifier(OctetString::new(&key_id[..20])?))?;
    let certificate = builder.build::<p256::ecdsa::DerSignature>()?;
    Ok((
        secret.to_pkcs8_der()?.as_bytes().to_vec(),
        certificate.to_der()?,
    ))
}

/// `CN=<name>, O=<name>` without any string parsing (a comma in a name stays a comma).
fn school_name_rdn(name: &str) -> anyhow::Result<Name> {
    let rdn = |oid| -> anyhow::Result<RelativeDistinguishedName> {
        let value = Any::encode_from(&Utf8StringRef::new(name)?)?;
        Ok(RelativeDistinguishedName(SetOfVec::try_from(vec![
            AttributeTypeAndValue { oid, value },
        ])?))
    };
    Ok(RdnSequence(vec![
        rdn(const_oid::db::rfc4519::O)?,
        rdn(const_oid::db::rfc4519::CN)?,
    ]))
}

/// The certificate a signed PDF carries, as the verification page shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SignatureInfo {
    /// The signing certificate's subject (`CN=…,O=…`).
    pub subject: String,
    /// SHA-256 of the signing certificate (hex).
    pub fingerprint: String,
    /// True when signed with the installation's self-signed certificate (generated by
    /// assidu, proves only that this installation issued the file), false with the
    /// school's own certificate (from its PKCS#12 file).
    pub installation_key: bool,
}

/// Reads the signing certificate out of a PDF signed here (its last signature's
/// `/Contents`): its subject, its SHA-256 and whether it is self-signed; `None` for a file
/// without one. Nothing is verified cryptographically: the file is the one stored at issue.
pub fn signer_of(pdf: &[u8]) -> Option<(String, String, bool)> {
    let cms = crate::pdf::sign::signature_contents(pdf)?;
    let content = ContentInfo::from_der(&cms).ok()?;
    let signed: SignedData = content.content.decode_as().ok()?;
    let signer = signed.signer_infos.0.iter().next()?;
    let SignerIdentifier::IssuerAndSerialNumber(id) = &signer.sid else {
        return None;
    };
    signed
        .certificates?
        .0
        .iter()
        .find_map(|choice| match choice {
            CertificateChoices::Certificate(c)
                if c.tbs_certificate.serial_number == id.serial_number
                    && c.tbs_certificate.issuer == id.issuer =>
            {
                let der = c.to_der().ok()?;
                let tbs = &c.tbs_certificate;
                Some((
                    tbs.subject.to_string(),
                    hex::encode(Sha256::digest(&der)),
                    tbs.subject == tbs.issuer,
                ))
            }
            _ => None,
        })
}

/// The keys the service signs with: the configured one, or the installation's, generated
/// and stored on first use (one per installation, whatever the number of instances).
pub struct Signing {
    configured: Option<Arc<Credentials>>,
    installation: tokio::sync::OnceCell<Arc<Credentials>>,
}

impl Signing {
    pub fn new(configured: Option<Credentials>) -> Self {
        Signing {
            configured: configured.map(Arc::new),
            installation: tokio::sync::OnceCell::new(),
        }
    }

    /// The credentials to sign with now.
    pub async fn credentials(&self, db: &Db) -> anyhow::Result<Arc<Credentials>> {
        if let Some(c) = &self.configured {
            return Ok(c.clone());
        }
        self.installation
            .get_or_try_init(|| installation_credentials(db))
            .await
            .cloned()
    }
}

/// The installation's key: read, or generated in the school's name and stored. Two
/// instances starting together both insert; the first insert wins and both read it back.
async fn installation_credentials(db: &Db) -> anyhow::Result<Arc<Credentials>> {
    let (key, certificate) = match signing_keys::stored(db).await? {
        Some(stored) => stored,
        None => {
            let name = signing_keys::school_name(db).await?;
            let (key, certificate) = generate_self_signed(name.as_deref().unwrap_or(""))?;
            let now = chrono::Utc::now();
            signing_keys::insert_if_absent(db, &key, &certificate, now).await?;
            signing_keys::stored(db)
                .await?
                .ok_or_else(|| anyhow!("the installation's signing key was not stored"))?
        }
    };
    let credentials = Credentials::from_stored(&key, &certificate)?;
    tracing::info!(subject = %credentials.subject(), fingerprint = %credentials.fingerprint(),
        "certificates are signed with the installation's self-signed certificate");
    Ok(Arc::new(credentials))
}

/// Who signed a stored certificate, as the verification page shows it.
pub async fn signature_info(db: &Db, pdf: &[u8]) -> Result<Option<SignatureInfo>, sqlx::Error> {
    let Some((subject, fingerprint, _)) = signer_of(pdf) else {
        return Ok(None);
    };
    let installation = installation_fingerprint(db).await?;
    Ok(Some(SignatureInfo {
        installation_key: installation.as_deref() == Some(fingerprint.as_str()),
        subject,
        fingerprint,
    }))
}

/// SHA-256 of the installation's self-signed certificate, if one was generated.
pub async fn installation_fingerprint(db: &Db) -> Result<Option<String>, sqlx::Error> {
    Ok(signing_keys::stored(db)
        .await?
        .map(|(_, certificate)| hex::encode(Sha256::digest(&certificate))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_and_names_the_school() {
        let (key, cert) = generate_self_signed("École Supérieure, Paris").unwrap();
        let c = Credentials::from_stored(&key, &cert).unwrap();
        assert_eq!(c.origin(), Origin::Installation);
        assert!(
            c.subject().contains("CN=École Supérieure\\, Paris"),
            "{}",
            c.subject()
        );
        let cms = c.sign_digest(&[7; 32]).unwrap();
        assert!(cms.len() < c.reserve(), "{} < {}", cms.len(), c.reserve());
        let parsed = ContentInfo::from_der(&cms).unwrap();
        assert_eq!(parsed.content_type, rfc5911::ID_SIGNED_DATA);
        let signed: SignedData = parsed.content.decode_as().unwrap();
        let attrs = signed
            .signer_infos
            .0
            .get(0)
            .unwrap()
            .signed_attrs
            .clone()
            .unwrap();
        let oids: Vec<_> = attrs.iter().map(|a| a.oid).collect();
        for oid in [
            rfc5911::ID_CONTENT_TYPE,
            rfc5911::ID_MESSAGE_DIGEST,
            rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2,
        ] {
            assert!(oids.contains(&oid), "{oid}");
        }
    }

    #[test]
    fn a_certificate_of_another_key_is_refused() {
        let (key, _) = generate_self_signed("A").unwrap();
        let (_, other) = generate_self_signed("B").unwrap();
        assert!(Credentials::from_stored(&key, &other).is_err());
    }

    #[test]
    fn garbage_is_not_a_pkcs12_file() {
        assert!(Credentials::from_pkcs12(b"not a p12", "x").is_err());
    }
}
