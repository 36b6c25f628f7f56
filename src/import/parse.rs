//! Reading the import files: CSV bytes in, typed and normalised records out, every problem
//! located by file, line and column. No I/O here; `super` resolves the references against
//! the database and writes.
//!
//! A record carries the API fields of the columns the file has (so that a column left out
//! of the file leaves that field of an existing record alone) and its references by natural
//! key. [`to_columns`] lays those fields over the record being updated and checks the result
//! with the API's own rules ([`Resource::columns`]).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use utoipa::ToSchema;

use crate::domain::siret::Siret;
use crate::domain::text;
use crate::error::{AppError, LineError};
use crate::records::{Columns, Resource};

/// The four files, in the order they are applied: each may refer to those before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Companies,
    Tutors,
    Students,
    Contracts,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Companies,
        Kind::Tutors,
        Kind::Students,
        Kind::Contracts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Companies => "companies",
            Kind::Tutors => "tutors",
            Kind::Students => "students",
            Kind::Contracts => "contracts",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// What the file holds, in French.
    pub fn label_fr(self) -> &'static str {
        match self {
            Kind::Companies => "entreprises",
            Kind::Tutors => "tuteurs",
            Kind::Students => "salarié·es",
            Kind::Contracts => "contrats",
        }
    }

    /// The columns of this kind's file.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Companies => COMPANY_COLUMNS,
            Kind::Tutors => TUTOR_COLUMNS,
            Kind::Students => STUDENT_COLUMNS,
            Kind::Contracts => CONTRACT_COLUMNS,
        }
    }

    /// The column named `name`, or whose API field or database column is `name`.
    pub fn column(self, name: &str) -> Option<&'static Column> {
        self.columns()
            .iter()
            .find(|c| c.name == name || c.field == Some(name) || c.aliases.contains(&name))
    }
}

/// How a cell is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Kept as written; the API's rules trim and check it.
    Text,
    /// An e-mail address, lower-cased.
    Email,
    /// 14 digits with a valid key; spaces allowed.
    Siret,
    /// `2025-09-01` or `01/09/2025`.
    Date,
    /// Decimal hours, a whole number of minutes: `270`, `262,5`, `262.5`.
    Hours,
    /// Euros with at most two decimals: `4500`, `4 500,00`, `4500.00`; stored in cents.
    Euros,
    /// `oui`/`non` (also `true`/`false`, `1`/`0`); empty is no.
    Bool,
}

/// One column of an import file.
#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    pub format: Format,
    /// The API field the cell fills, or `None` for a reference by natural key.
    pub field: Option<&'static str>,
    /// Other names an error or a change of this column comes under (database columns, the
    /// API's id fields).
    pub aliases: &'static [&'static str],
}

const fn col(name: &'static str, required: bool, format: Format) -> Column {
    Column {
        name,
        required,
        format,
        field: Some(name),
        aliases: &[],
    }
}

/// A reference to another record by its natural key.
const fn reference(
    name: &'static str,
    required: bool,
    format: Format,
    aliases: &'static [&'static str],
) -> Column {
    Column {
        name,
        required,
        format,
        field: None,
        aliases,
    }
}

/// A column whose API field has another name.
const fn renamed(
    name: &'static str,
    required: bool,
    format: Format,
    field: &'static str,
    aliases: &'static [&'static str],
) -> Column {
    Column {
        name,
        required,
        format,
        field: Some(field),
        aliases,
    }
}

use Format::{Bool, Date, Email, Euros, Hours, Text};

static COMPANY_COLUMNS: &[Column] = &[
    col("legal_name", true, Text),
    col("siret", true, Format::Siret),
    col("address", true, Text),
    col("phone", false, Text),
    col("representative_name", false, Text),
    col("representative_role", false, Text),
];

static TUTOR_COLUMNS: &[Column] = &[
    reference("company_siret", true, Format::Siret, &["company_id"]),
    col("last_name", true, Text),
    col("first_name", true, Text),
    col("function", false, Text),
    col("email", true, Email),
    col("phone", false, Text),
    col("lang", false, Text),
];

static STUDENT_COLUMNS: &[Column] = &[
    col("last_name", true, Text),
    col("first_name", true, Text),
    col("email", true, Email),
    col("address", false, Text),
    col("birth_date", true, Date),
    col("birth_place", false, Text),
    col("lang", false, Text),
];

static CONTRACT_COLUMNS: &[Column] = &[
    reference("student_email", true, Email, &["student_id"]),
    reference("company_siret", true, Format::Siret, &["company_id"]),
    reference("tutor_email", true, Email, &["tutor_id"]),
    reference("department", true, Text, &["programme_id"]),
    reference("option_name", false, Text, &[]),
    reference("academic_year", true, Text, &["academic_year_id"]),
    reference("group", false, Text, &["group_id"]),
    col("kind", false, Text),
    col("start_date", true, Date),
    col("end_date", true, Date),
    col("defence_date", false, Date),
    col("place", true, Text),
    renamed(
        "planned_hours_s9",
        true,
        Hours,
        "planned_hours_s9",
        &["planned_minutes_s9"],
    ),
    renamed(
        "planned_hours_s10",
        true,
        Hours,
        "planned_hours_s10",
        &["planned_minutes_s10"],
    ),
    renamed("price_s9_eur", true, Euros, "price_s9_cents", &[]),
    renamed("price_s10_eur", true, Euros, "price_s10_cents", &[]),
    col("opco_name", false, Text),
    col("opco_email", false, Text),
    col("subrogation", false, Bool),
    col("subrogation_received_on", false, Date),
    col("opco_agreement_on", false, Date),
    renamed("opco_hourly_eur", false, Euros, "opco_hourly_cents", &[]),
    // No termination columns: a termination tells the OPCO and the DREETS, so it is
    // recorded through its own action (POST /api/v1/contracts/{id}/termination).
];

/// One data line of a file.
#[derive(Debug, Clone)]
pub struct Record {
    pub line: usize,
    /// The natural key, normalised, when its cells could be read: the SIRET's digits, the
    /// lower-cased e-mail, or for a contract `student_email start_date`.
    pub key: Option<String>,
    /// API fields of the file's columns, typed and normalised.
    pub fields: Map<String, Json>,
    /// References by natural key (column → normalised value, empty when the cell is).
    pub refs: HashMap<&'static str, String>,
    /// Columns whose cell was refused (already reported).
    pub refused: Vec<&'static str>,
}

impl Record {
    /// The reference's value; `None` when the column is absent or its cell was refused.
    pub fn reference(&self, column: &str) -> Option<&str> {
        self.refs.get(column).map(String::as_str)
    }

    /// A date field of the file, when it was given and read.
    pub fn date(&self, field: &str) -> Option<NaiveDate> {
        self.fields
            .get(field)
            .and_then(Json::as_str)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }
}

/// A whole file, read.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub kind: Kind,
    /// The columns the header names.
    pub present: Vec<&'static str>,
    /// The lines that could be read, one per natural key (a repeated key is reported and
    /// only its first line kept).
    pub records: Vec<Record>,
    pub errors: Vec<LineError>,
}

impl Parsed {
    pub fn has(&self, column: &str) -> bool {
        self.present.contains(&column)
    }
}

pub fn error(
    kind: Kind,
    line: usize,
    column: Option<&str>,
    message: impl Into<String>,
) -> LineError {
    LineError {
        file: kind.as_str().to_owned(),
        line,
        column: column.map(str::to_owned),
        message: message.into(),
    }
}

/// The separator of a header line: `;` (French Excel), tab, or `,`, whichever it has most of
/// outside quotes; `,` when none.
pub fn detect_separator(header: &str) -> u8 {
    let mut quoted = false;
    let (mut commas, mut semicolons, mut tabs) = (0, 0, 0);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            '\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    if semicolons > commas && semicolons >= tabs {
        b';'
    } else if tabs > commas && tabs > semicolons {
        b'\t'
    } else {
        b','
    }
}

/// Reads one file: UTF-8 with or without BOM, `,` `;` or tab separated, a header naming the
/// columns (any order, any case) then one record per line. Blank lines are skipped.
pub fn parse_file(kind: Kind, bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed {
        kind,
        present: Vec::new(),
        records: Vec::new(),
        errors: Vec::new(),
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let content = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            parsed.errors.push(error(
                kind,
                line,
                None,
                "le fichier n’est pas en UTF-8 : enregistrez-le en « CSV UTF-8 »",
            ));
            return parsed;
        }
    };
    let Some(header_line) = content.lines().find(|l| !l.trim().is_empty()) else {
        parsed.errors.push(error(
            kind,
            1,
            None,
            "fichier vide : la première ligne doit nommer les colonnes",
        ));
        return parsed;
    };
    let lines = Lines::new(content);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_separator(header_line))
        .trim(csv::Trim::All)
        .from_reader(content.as_bytes());
    let mut rows = reader.records();

    // The header: which column each cell is; unknown, repeated or missing columns stop the file.
    let header = loop {
        match rows.next() {
            None => return parsed,
            Some(Err(e)) => {
                parsed.errors.push(unreadable(kind, &lines, &e));
                return parsed;
            }
            Some(Ok(r)) if r.iter().all(str::is_empty) => continue,
            Some(Ok(r)) => break r,
        }
    };
    let header_at = lines.at(header.position());
    let mut layout: Vec<Option<&'static Column>> = Vec::with_capacity(header.len());
    for name in &header {
        let name = name.trim_matches('\u{feff}').trim().to_lowercase();
        if name.is_empty() {
            // Spreadsheets often end lines with an empty column: ignored.
            layout.push(None);
            continue;
        }
        match kind.columns().iter().find(|c| c.name == name) {
            Some(c) if layout.iter().flatten().any(|seen| std::ptr::eq(*seen, c)) => {
                parsed
                    .errors
                    .push(error(kind, header_at, Some(&name), "colonne en double"));
                layout.push(None);
            }
            Some(c) => layout.push(Some(c)),
            None => {
                parsed.errors.push(error(
                    kind,
                    header_at,
                    Some(&name),
                    format!(
                        "colonne inconnue (colonnes possibles : {})",
                        kind.columns()
                            .iter()
                            .map(|c| c.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
                layout.push(None);
            }
        }
    }
    parsed.present = layout.iter().flatten().map(|c| c.name).collect();
    for c in kind.columns().iter().filter(|c| c.required) {
        if !parsed.present.contains(&c.name) {
            parsed.errors.push(error(
                kind,
                header_at,
                Some(c.name),
                "colonne obligatoire absente",
            ));
        }
    }
    if !parsed.errors.is_empty() {
        return parsed;
    }

    let mut first_of: HashMap<String, usize> = HashMap::new();
    let mut repeated: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for row in rows {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                parsed.errors.push(unreadable(kind, &lines, &e));
                continue;
            }
        };
        if row.iter().all(str::is_empty) {
            continue;
        }
        let line = lines.at(row.position());
        if row.len() > layout.len() && row.iter().skip(layout.len()).any(|c| !c.is_empty()) {
            parsed.errors.push(error(
                kind,
                line,
                None,
                format!(
                    "{} valeurs pour {} colonnes : un séparateur de trop ?",
                    row.len(),
                    layout.len()
                ),
            ));
            continue;
        }
        let mut record = Record {
            line,
            key: None,
            fields: Map::new(),
            refs: HashMap::new(),
            refused: Vec::new(),
        };
        for (i, column) in layout.iter().enumerate() {
            let Some(column) = column else { continue };
            match read_cell(column, row.get(i).unwrap_or("")) {
                Ok(value) => match column.field {
                    Some(field) => {
                        record.fields.insert(field.to_owned(), value);
                    }
                    None => {
                        record
                            .refs
                            .insert(column.name, value.as_str().unwrap_or("").to_owned());
                    }
                },
                Err(message) => {
                    parsed
                        .errors
                        .push(error(kind, line, Some(column.name), message));
                    record.refused.push(column.name);
                }
            }
        }
        record.key = natural_key(kind, &record);
        if let Some(key) = &record.key {
            if let Some(first) = first_of.get(key) {
                repeated.entry(*first).or_default().push(line);
                continue;
            }
            first_of.insert(key.clone(), line);
        }
        parsed.records.push(record);
    }
    // A key met twice: every line that has it is reported, each naming the others.
    for (first, others) in repeated {
        let lines: Vec<usize> = std::iter::once(first).chain(others).collect();
        let (column, what) = match kind {
            Kind::Companies => ("siret", "SIRET"),
            Kind::Tutors | Kind::Students => ("email", "adresse"),
            Kind::Contracts => ("start_date", "contrat (même salarié·e, même début)"),
        };
        let listed = lines
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let key = parsed
            .records
            .iter()
            .find(|r| r.line == first)
            .and_then(|r| r.key.clone())
            .unwrap_or_default();
        for line in &lines {
            parsed.errors.push(error(
                kind,
                *line,
                Some(column),
                format!("{what} « {key} » en double dans le fichier (lignes {listed})"),
            ));
        }
    }
    parsed.errors.sort_by_key(|e| e.line);
    parsed
}

/// Line numbers from byte offsets: the csv crate's own count is off with CRLF line ends and
/// blank lines.
struct Lines<'a> {
    text: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            newlines: text.match_indices('\n').map(|(i, _)| i).collect(),
        }
    }

    fn at(&self, position: Option<&csv::Position>) -> usize {
        let Some(position) = position else { return 1 };
        // A record's position is where the reader started, before the line ends it skipped.
        let mut byte = position.byte() as usize;
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        1 + self.newlines.partition_point(|&nl| nl < byte)
    }
}

fn unreadable(kind: Kind, lines: &Lines, e: &csv::Error) -> LineError {
    let line = lines.at(e.position());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "texte illisible : le fichier doit être en UTF-8".to_owned(),
        _ => format!("ligne illisible : {e}"),
    };
    error(kind, line, None, message)
}

fn natural_key(kind: Kind, r: &Record) -> Option<String> {
    let field = |name: &str| r.fields.get(name).and_then(Json::as_str).map(str::to_owned);
    match kind {
        Kind::Companies => field("siret"),
        Kind::Tutors | Kind::Students => field("email"),
        Kind::Contracts => {
            let email = r.reference("student_email").filter(|e| !e.is_empty())?;
            Some(format!("{email} {}", field("start_date")?))
        }
    }
}

/// One cell as the JSON value of its API field (or the text of its reference).
fn read_cell(column: &Column, raw: &str) -> Result<Json, String> {
    let raw = raw.trim();
    // An empty text goes to the API's rules (which say whether it is required), except for
    // a reference, which needs a value to be found.
    if raw.is_empty() && (column.format != Format::Text || column.field.is_none()) {
        return if column.required {
            Err("ce champ est obligatoire".to_owned())
        } else if column.format == Format::Bool {
            Ok(Json::Bool(false))
        } else if column.field.is_none() {
            Ok(Json::String(String::new()))
        } else {
            Ok(Json::Null)
        };
    }
    match column.format {
        Format::Text => Ok(Json::String(raw.to_owned())),
        Format::Email => text::email(raw).map(Json::String),
        Format::Siret => Siret::parse(raw)
            .map(|s| Json::String(s.as_str().to_owned()))
            .map_err(|e| e.to_string()),
        Format::Date => parse_date(raw).map(|d| Json::String(d.format("%Y-%m-%d").to_string())),
        Format::Hours => parse_hours(raw).map(|minutes| Json::from(minutes as f64 / 60.0)),
        Format::Euros => parse_euros(raw).map(Json::from),
        Format::Bool => parse_bool(raw).map(Json::Bool),
    }
}

/// `2025-09-01` or `01/09/2025` (day and month may have one digit), a four-digit year.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let raw = raw.trim();
    let numbers = |parts: Vec<&str>, widths: [(usize, usize); 3]| -> Option<[u32; 3]> {
        if parts.len() != 3 {
            return None;
        }
        let mut out = [0; 3];
        for (i, (part, (min, max))) in parts.iter().zip(widths).enumerate() {
            if part.len() < min || part.len() > max || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            out[i] = part.parse().ok()?;
        }
        Some(out)
    };
    let ymd = if raw.contains('/') {
        numbers(raw.split('/').collect(), [(1, 2), (1, 2), (4, 4)]).map(|[d, m, y]| (y, m, d))
    } else {
        numbers(raw.split('-').collect(), [(4, 4), (1, 2), (1, 2)]).map(|[y, m, d]| (y, m, d))
    };
    match ymd {
        None => Err(format!(
            "date invalide « {raw} » (attendu : 2025-09-01 ou 01/09/2025)"
        )),
        Some((y, m, d)) => NaiveDate::from_ymd_opt(y as i32, m, d)
            .ok_or_else(|| format!("date invalide « {raw} » : ce jour n’existe pas")),
    }
}

/// A decimal number without sign: spaces between thousands, `,` or `.` before at most
/// `max_decimals` decimals. Answers the number scaled by 10^`max_decimals`.
fn decimal(raw: &str, max_decimals: u32) -> Option<i64> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    let (units, fraction) = match digits.split_once([',', '.']) {
        Some((u, f)) => (u, f),
        None => (digits.as_str(), ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty()
        || units.len() > 12
        || !all_digits(units)
        || !all_digits(fraction)
        || fraction.len() as u32 > max_decimals
    {
        return None;
    }
    let scale = 10_i64.pow(max_decimals);
    let fraction_scaled = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<i64>().ok()? * 10_i64.pow(max_decimals - fraction.len() as u32)
    };
    Some(units.parse::<i64>().ok()? * scale + fraction_scaled)
}

/// Hours as `270`, `262,5` or `262.5` (a trailing `h` is allowed), answered in minutes:
/// they must make a whole number of minutes.
pub fn parse_hours(raw: &str) -> Result<i64, String> {
    let trimmed = raw.trim();
    let number = trimmed
        .strip_suffix(['h', 'H'])
        .unwrap_or(trimmed)
        .trim_end();
    // Six decimals are enough for any whole number of minutes written in decimal hours.
    let micro_hours = decimal(number, 6).ok_or_else(|| {
        format!("nombre d’heures invalide « {trimmed} » (attendu : 270, 262,5 ou 262.5)")
    })?;
    let micro_minutes = micro_hours * 60;
    // 1/60 h written with six decimals (0,016667) is one minute: round to the closest one,
    // and refuse what is not close to a whole minute (2,71 h = 162,6 min).
    let minutes = (micro_minutes + 500_000) / 1_000_000;
    if (micro_minutes - minutes * 1_000_000).abs() > 100 {
        return Err(format!(
            "« {trimmed} » heures ne font pas un nombre entier de minutes"
        ));
    }
    Ok(minutes)
}

/// The largest amount accepted, in cents (the API's bound).
const MAX_CENTS: i64 = 100_000_000;

/// Euros as `4500`, `4 500,00` or `4500.00` (a trailing `€` is allowed), answered in cents.
pub fn parse_euros(raw: &str) -> Result<i64, String> {
    let trimmed = raw.trim();
    let number = trimmed
        .strip_suffix('€')
        .or_else(|| trimmed.strip_suffix("EUR"))
        .unwrap_or(trimmed)
        .trim_end();
    match decimal(number, 2) {
        Some(cents) if cents <= MAX_CENTS => Ok(cents),
        Some(_) => Err(format!(
            "montant trop élevé « {trimmed} » : 1 000 000 € au plus"
        )),
        None => Err(format!(
            "montant invalide « {trimmed} » (en euros, attendu : 4500, 4 500,00 ou 4500.00)"
        )),
    }
}

pub fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_lowercase().as_str() {
        "oui" | "o" | "yes" | "y" | "true" | "vrai" | "1" | "x" => Ok(true),
        "non" | "n" | "no" | "false" | "faux" | "0" | "" => Ok(false),
        _ => Err(format!("« {} » : oui ou non attendu", raw.trim())),
    }
}

/// The resource's input: the file's fields laid over the existing record (the columns the
/// file does not have keep their value; a new record takes the API's defaults), with the
/// references' ids; then the API's own rules. Errors name the file's columns; a column whose
/// cell was already refused is not reported twice.
pub fn to_columns<R: Resource>(
    kind: Kind,
    record: &Record,
    existing: Option<&Json>,
    ids: &[(&'static str, Json)],
) -> Result<Columns, Vec<LineError>> {
    let mut object = existing
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    object.remove("id");
    for (field, value) in &record.fields {
        object.insert(field.clone(), value.clone());
    }
    for (field, value) in ids {
        object.insert((*field).to_owned(), value.clone());
    }
    let input: R::Input = match serde_json::from_value(Json::Object(object)) {
        Ok(input) => input,
        // A required cell was refused: it is reported, and the rules need it.
        Err(_) if !record.refused.is_empty() => return Err(Vec::new()),
        Err(e) => {
            return Err(vec![error(
                kind,
                record.line,
                None,
                format!("ligne illisible : {e}"),
            )]);
        }
    };
    R::columns(&input).map_err(|e| match e {
        AppError::Validation(fields) => fields
            .into_iter()
            .filter_map(|f| {
                let column = kind.column(&f.field).map_or(f.field.as_str(), |c| c.name);
                (!record.refused.contains(&column))
                    .then(|| error(kind, record.line, Some(column), f.message))
            })
            .collect(),
        other => vec![error(kind, record.line, None, other.to_string())],
    })
}

/// The columns of a stored record (its JSON), as [`to_columns`] would write them; `None`
/// when it no longer passes the rules (it is then rewritten).
pub fn stored_columns<R: Resource>(existing: &Json) -> Option<Columns> {
    let mut object = existing.as_object()?.clone();
    object.remove("id");
    let input: R::Input = serde_json::from_value(Json::Object(object)).ok()?;
    R::columns(&input).ok()
}

#[cfg(test)]
mod tests;

/// Hostile input: whatever the bytes, each import file parses to records and errors, never a
/// panic; every error names a line of the file and, when it names a column, one of the kind's.
#[cfg(test)]
mod hostile_input;
