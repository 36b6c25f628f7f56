//! The byte work of a PAdES signature (ETSI EN 319 142-1, baseline B-B) on a document
//! written by [`super::PdfWriter`]:
//!
//! 1. before the document is written, [`add_signature_field`] adds an invisible signature
//!    field (`/FT /Sig` widget on the first page, listed in `/AcroForm /Fields` with
//!    `/SigFlags 3`) whose `/V` is a `/Sig` dictionary (`/SubFilter /ETSI.CAdES.detached`,
//!    signing time in `/M`) with a `/Contents <000…>` hole and a `/ByteRange` placeholder;
//! 2. once the bytes are final, [`fill_signature`] writes the two ranges around the hole,
//!    hashes them with SHA-256, has the [`CmsSigner`] sign the digest and writes its DER,
//!    in hexadecimal, into the hole.
//!
//! The whole file but the hole is signed: a byte changed anywhere invalidates it.

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use lopdf::{Dictionary, Object, StringFormat};
use sha2::{Digest, Sha256};

/// Writes a detached CMS signature over a SHA-256 digest.
pub trait CmsSigner: Send + Sync {
    /// Most bytes a signature takes.
    fn reserve(&self) -> usize;
    fn sign(&self, digest: &[u8; 32]) -> anyhow::Result<Vec<u8>>;
}

/// Placeholder of the byte range's numbers: ten digits each, rewritten in place.
const RANGE_PLACEHOLDER: i64 = 9_999_999_999;
const RANGE_PLACEHOLDER_TEXT: &[u8] = b"9999999999 9999999999 9999999999";

/// Adds the signature field and its `/Sig` dictionary to `doc` (see the module docs).
pub fn add_signature_field(
    doc: &mut lopdf::Document,
    reserve: usize,
    signing_time: DateTime<Utc>,
    reason: &str,
) -> anyhow::Result<()> {
    let page = *doc
        .get_pages()
        .get(&1)
        .ok_or_else(|| anyhow!("a document without pages cannot be signed"))?;
    let catalog = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .context("the document has no catalog")?;

    let sig = doc.add_object(Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Sig".to_vec())),
        ("Filter", Object::Name(b"Adobe.PPKLite".to_vec())),
        ("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec())),
        (
            "ByteRange",
            Object::Array(vec![
                Object::Integer(0),
                Object::Integer(RANGE_PLACEHOLDER),
                Object::Integer(RANGE_PLACEHOLDER),
                Object::Integer(RANGE_PLACEHOLDER),
            ]),
        ),
        (
            "Contents",
            Object::String(vec![0; reserve], StringFormat::Hexadecimal),
        ),
        (
            "M",
            Object::String(
                signing_time
                    .format("D:%Y%m%d%H%M%S+00'00'")
                    .to_string()
                    .into_bytes(),
                StringFormat::Literal,
            ),
        ),
        ("Reason", lopdf::text_string(reason)),
    ]));
    let widget = doc.add_object(Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Annot".to_vec())),
        ("Subtype", Object::Name(b"Widget".to_vec())),
        ("FT", Object::Name(b"Sig".to_vec())),
        (
            "T",
            Object::String(b"Signature1".to_vec(), StringFormat::Literal),
        ),
        ("V", Object::Reference(sig)),
        // Printed, locked: an invisible widget.
        ("F", Object::Integer(132)),
        (
            "Rect",
            Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
        ),
        ("P", Object::Reference(page)),
    ]));
    let page_dict = doc
        .get_object_mut(page)
        .and_then(Object::as_dict_mut)
        .context("the first page")?;
    match page_dict.get_mut(b"Annots") {
        Ok(Object::Array(annots)) => annots.push(Object::Reference(widget)),
        _ => page_dict.set("Annots", Object::Array(vec![Object::Reference(widget)])),
    }
    let catalog_dict = doc
        .get_object_mut(catalog)
        .and_then(Object::as_dict_mut)
        .context("the catalog")?;
    catalog_dict.set(
        "AcroForm",
        Dictionary::from_iter(vec![
            ("Fields", Object::Array(vec![Object::Reference(widget)])),
            ("SigFlags", Object::Integer(3)),
        ]),
    );
    Ok(())
}

/// Where the signature's hole (`<` to `>` included) and its byte-range placeholder are.
struct Hole {
    /// Offset of `<`.
    start: usize,
    /// Offset just after `>`.
    end: usize,
    /// Offsets of the placeholder numbers' text (the three after the leading 0).
    range: std::ops::Range<usize>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn hole(pdf: &[u8]) -> anyhow::Result<Hole> {
    let range_at = find(pdf, RANGE_PLACEHOLDER_TEXT, 0)
        .ok_or_else(|| anyhow!("no byte range placeholder in the document"))?;
    let range = range_at..range_at + RANGE_PLACEHOLDER_TEXT.len();
    // The hole comes after the byte range in the dictionary (insertion order).
    let contents = find(pdf, b"/Contents", range.end)
        .ok_or_else(|| anyhow!("no /Contents after the byte range"))?;
    let start = find(pdf, b"<", contents).ok_or_else(|| anyhow!("no hole"))?;
    let end = find(pdf, b">", start).ok_or_else(|| anyhow!("unterminated hole"))? + 1;
    if !pdf[start + 1..end - 1].iter().all(|&b| b == b'0') {
        bail!("the signature's hole is not empty");
    }
    Ok(Hole { start, end, range })
}

/// Fills the byte range and the signature of a document written with
/// [`add_signature_field`]; `pdf` must be the final bytes.
pub fn fill_signature(pdf: &mut [u8], signer: &dyn CmsSigner) -> anyhow::Result<()> {
    let Hole { start, end, range } = hole(pdf)?;
    let numbers = format!("{start} {end} {}", pdf.len() - end);
    if numbers.len() > range.len() {
        bail!("byte range too long for its placeholder");
    }
    let padded = format!("{numbers:<width$}", width = range.len());
    pdf[range].copy_from_slice(padded.as_bytes());

    let mut hasher = Sha256::new();
    hasher.update(&pdf[..start]);
    hasher.update(&pdf[end..]);
    let digest: [u8; 32] = hasher.finalize().into();
    let cms = signer.sign(&digest)?;
    let hex = hex::encode_upper(&cms);
    let room = end - start - 2;
    if hex.len() > room {
        bail!(
            "the signature ({} bytes) does not fit the {} bytes reserved",
            cms.len(),
            room / 2
        );
    }
    pdf[start + 1..start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(())
}

/// The DER of the CMS signature of a PDF signed by [`fill_signature`] (trailing zeros of
/// the hole dropped), or `None`.
pub fn signature_contents(pdf: &[u8]) -> Option<Vec<u8>> {
    // The last /ByteRange of the file: the dictionary written by add_signature_field.
    let at = pdf
        .windows(11)
        .rposition(|w| w == b"/ByteRange[")
        .or_else(|| pdf.windows(12).rposition(|w| w == b"/ByteRange ["))?;
    let contents = find(pdf, b"/Contents", at)?;
    let start = find(pdf, b"<", contents)? + 1;
    let end = find(pdf, b">", start)?;
    let mut der = hex::decode(pdf.get(start..end)?).ok()?;
    // DER is self-delimiting: keep exactly the outer TLV.
    let len = der_length(&der)?;
    der.truncate(len);
    Some(der)
}

/// Total length of the DER element at the start of `der`.
fn der_length(der: &[u8]) -> Option<usize> {
    let first = *der.get(1)?;
    if first < 0x80 {
        return Some(2 + first as usize);
    }
    let n = (first & 0x7f) as usize;
    let mut len = 0usize;
    for &b in der.get(2..2 + n)? {
        len = len.checked_mul(256)? + b as usize;
    }
    Some(2 + n + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;
    impl CmsSigner for Fake {
        fn reserve(&self) -> usize {
            64
        }
        fn sign(&self, digest: &[u8; 32]) -> anyhow::Result<Vec<u8>> {
            // A DER OCTET STRING of the digest.
            let mut v = vec![0x04, 32];
            v.extend_from_slice(digest);
            Ok(v)
        }
    }

    fn signed() -> Vec<u8> {
        let mut w = super::super::PdfWriter::new(super::super::Orientation::Portrait).unwrap();
        w.text(20.0, 20.0, 11.0, false, "Attestation");
        w.finish_signed(&Fake, DateTime::UNIX_EPOCH, "test")
            .unwrap()
    }

    #[test]
    fn the_byte_range_covers_all_but_the_signature() {
        let pdf = signed();
        let hole = hole(&pdf);
        assert!(hole.is_err(), "the hole is filled");
        let cms = signature_contents(&pdf).unwrap();
        assert_eq!(cms.len(), 34);
        let text = String::from_utf8_lossy(&pdf);
        let at = text.find("/ByteRange").unwrap();
        let inside = &text[at..at + 60];
        let nums: Vec<usize> = inside[inside.find('[').unwrap() + 1..inside.find(']').unwrap()]
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(nums[0], 0);
        assert_eq!(nums[2] + nums[3], pdf.len());
        assert_eq!(pdf[nums[1]], b'<');
        assert_eq!(pdf[nums[2] - 1], b'>');
        let mut hasher = Sha256::new();
        hasher.update(&pdf[..nums[1]]);
        hasher.update(&pdf[nums[2]..]);
        assert_eq!(&cms[2..], hasher.finalize().as_slice());
        assert!(text.contains("/SigFlags 3"), "{}", &text[..0]);
        assert!(text.contains("/ETSI.CAdES.detached"));
        // The document still reads.
        lopdf::Document::load_mem(&pdf).unwrap();
    }

    #[test]
    fn signing_is_reproducible() {
        assert_eq!(signed(), signed());
    }
}
