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
use crate::http::crud::{Columns, Resource};

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
                "le fichier n'est pas en UTF-8 : enregistrez-le en « CSV UTF-8 »",
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
            .ok_or_else(|| format!("date invalide « {raw} » : ce jour n'existe pas")),
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
        format!("nombre d'heures invalide « {trimmed} » (attendu : 270, 262,5 ou 262.5)")
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
mod tests {
    use super::*;
    use crate::http::parties::Companies;

    fn messages(p: &Parsed) -> Vec<(usize, Option<String>, String)> {
        p.errors
            .iter()
            .map(|e| (e.line, e.column.clone(), e.message.clone()))
            .collect()
    }

    #[test]
    fn separators_are_detected_from_the_header() {
        assert_eq!(detect_separator("legal_name;siret;address"), b';');
        assert_eq!(detect_separator("legal_name,siret,address"), b',');
        assert_eq!(detect_separator("a\tb\tc"), b'\t');
        // A quoted comma is not a separator.
        assert_eq!(detect_separator("\"a,b\";c"), b';');
        assert_eq!(detect_separator("one"), b',');
    }

    #[test]
    fn a_french_excel_file_with_bom_and_semicolons_is_read() {
        let file = "\u{feff}Legal_Name;SIRET;address;phone\r\n\
                    \"Société A; et fils\";180 092 025 00113;1 rue X, Alès;\r\n\
                    \r\n\
                    ;;;\r\n\
                    B;18009202500113;2 rue Y;04 66\r\n";
        let p = parse_file(Kind::Companies, file.as_bytes());
        // The same SIRET twice: both lines named, only the first kept.
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.present, vec!["legal_name", "siret", "address", "phone"]);
        let r = &p.records[0];
        assert_eq!(r.line, 2);
        assert_eq!(r.fields["legal_name"], "Société A; et fils");
        assert_eq!(r.fields["siret"], "18009202500113");
        assert_eq!(r.fields["address"], "1 rue X, Alès");
        assert_eq!(r.key.as_deref(), Some("18009202500113"));
        let errors = messages(&p);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].0, 2);
        assert_eq!(errors[1].0, 5);
        assert!(errors[1].2.contains("lignes 2, 5"), "{errors:?}");
        assert_eq!(errors[1].1.as_deref(), Some("siret"));
    }

    #[test]
    fn missing_unknown_and_repeated_columns_are_reported_on_line_1() {
        let p = parse_file(
            Kind::Students,
            b"last_name,first_name,email,email,birthdate\nA,B,a@b.fr,a@b.fr,2000-01-01\n",
        );
        let errors = messages(&p);
        assert!(p.records.is_empty());
        assert!(errors.iter().all(|e| e.0 == 1), "{errors:?}");
        let columns: Vec<_> = errors.iter().filter_map(|e| e.1.clone()).collect();
        assert_eq!(columns, vec!["email", "birthdate", "birth_date"]);
        assert!(errors[1].2.starts_with("colonne inconnue"));
        assert_eq!(errors[2].2, "colonne obligatoire absente");
    }

    #[test]
    fn every_bad_cell_of_every_line_is_reported() {
        let file = "student_email,company_siret,tutor_email,department,academic_year,start_date,end_date,place,planned_hours_s9,planned_hours_s10,price_s9_eur,price_s10_eur,subrogation\n\
            zoe@x.fr,18009202500114,t@x.fr,2IA,2025-2026,31/02/2025,2026-08-28,Alès,270,210,\"4 500,00\",3500,oui\n\
            leo@x.fr,18009202500113,not-an-email,2IA,2025-2026,01/09/2025,2026-08-28,Alès,\"2,71\",210,4500.001,3500,peut-être\n";
        let p = parse_file(Kind::Contracts, file.as_bytes());
        let errors = messages(&p);
        let located: Vec<(usize, &str)> = errors
            .iter()
            .map(|e| (e.0, e.1.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            located,
            vec![
                (2, "company_siret"),
                (2, "start_date"),
                (3, "tutor_email"),
                (3, "planned_hours_s9"),
                (3, "price_s9_eur"),
                (3, "subrogation"),
            ]
        );
        assert_eq!(
            errors[1].2,
            "date invalide « 31/02/2025 » : ce jour n'existe pas"
        );
        assert!(errors[0].2.contains("clé de contrôle"), "{}", errors[0].2);
        // Both lines are still records, their refused cells noted.
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.records[0].refused, vec!["company_siret", "start_date"]);
        assert_eq!(p.records[0].fields["price_s9_cents"], 450_000);
        assert_eq!(p.records[0].fields["subrogation"], true);
        assert_eq!(p.records[1].key.as_deref(), Some("leo@x.fr 2025-09-01"));
    }

    #[test]
    fn dates_hours_and_euros_in_french_or_plain_form() {
        let d = |s| parse_date(s);
        assert_eq!(
            d("2025-09-01"),
            Ok(NaiveDate::from_ymd_opt(2025, 9, 1).unwrap())
        );
        assert_eq!(d("01/09/2025"), d("2025-09-01"));
        assert_eq!(d("1/9/2025"), d("2025-09-01"));
        assert!(d("2025-02-30").unwrap_err().contains("n'existe pas"));
        assert!(d("01/09/25").unwrap_err().contains("attendu"));
        assert!(d("2025-9-1 12:00").is_err());
        assert!(d("demain").is_err());

        assert_eq!(parse_hours("270"), Ok(16_200));
        assert_eq!(parse_hours("262,5"), Ok(15_750));
        assert_eq!(parse_hours("262.5"), Ok(15_750));
        assert_eq!(parse_hours("1 200 h"), Ok(72_000));
        assert_eq!(parse_hours("0,25"), Ok(15));
        assert_eq!(parse_hours("0,016667"), Ok(1));
        assert!(parse_hours("2,71").unwrap_err().contains("minutes"));
        assert!(parse_hours("-3").is_err());
        assert!(parse_hours("3,5,1").is_err());

        assert_eq!(parse_euros("4 500,00"), Ok(450_000));
        assert_eq!(parse_euros("4\u{202f}500,00 €"), Ok(450_000));
        assert_eq!(parse_euros("4500"), Ok(450_000));
        assert_eq!(parse_euros("4500.5"), Ok(450_050));
        assert_eq!(parse_euros("0,07"), Ok(7));
        // A dot between thousands would be read as decimals: refused, not guessed.
        assert!(parse_euros("4.500,00").is_err());
        assert!(parse_euros("4,500").is_err());
        assert!(
            parse_euros("1000000,01")
                .unwrap_err()
                .contains("trop élevé")
        );
        assert!(parse_euros("-5").is_err());

        assert_eq!(parse_bool("Oui"), Ok(true));
        assert_eq!(parse_bool("false"), Ok(false));
        assert!(parse_bool("peut-être").is_err());
    }

    #[test]
    fn a_file_that_is_not_utf8_names_its_line() {
        let p = parse_file(
            Kind::Companies,
            b"legal_name,siret,address\nSoci\xe9t\xe9,18009202500113,Al\xe8s\n",
        );
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 2);
        assert!(p.errors[0].message.contains("UTF-8"));
        let empty = parse_file(Kind::Companies, b"\n\n");
        assert_eq!(empty.errors[0].line, 1);
    }

    #[test]
    fn an_extra_cell_is_refused_an_empty_trailing_column_is_not() {
        let p = parse_file(
            Kind::Companies,
            b"legal_name;siret;address;\nA;18009202500113;Al\xc3\xa8s;\nB;35600000000010;X;;oops\n",
        );
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 3);
        assert!(p.errors[0].message.contains("séparateur"));
    }

    #[test]
    fn the_api_rules_apply_and_name_the_file_columns() {
        let p = parse_file(
            Kind::Companies,
            "legal_name,siret,address,phone\n,18009202500113,Alès,0466\n".as_bytes(),
        );
        let r = &p.records[0];
        let errors = to_columns::<Companies>(Kind::Companies, r, None, &[]).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].column.as_deref(), Some("legal_name"));
        assert_eq!(errors[0].message, "ce champ est obligatoire");

        // Over an existing record, the columns the file lacks keep their value.
        let stored = serde_json::json!({"id": 4, "legal_name": "Old", "siret": "18009202500113",
            "address": "Nîmes", "phone": "", "representative_name": "Mme Rep",
            "representative_role": "gérante"});
        let p = parse_file(
            Kind::Companies,
            "legal_name,siret,address\nNew,18009202500113,Alès\n".as_bytes(),
        );
        let columns =
            to_columns::<Companies>(Kind::Companies, &p.records[0], Some(&stored), &[]).unwrap();
        let before = stored_columns::<Companies>(&stored).unwrap();
        let changed: Vec<&str> = columns
            .iter()
            .zip(&before)
            .filter(|(a, b)| a != b)
            .map(|(a, _)| a.0)
            .collect();
        assert_eq!(changed, vec!["legal_name", "address"]);
        assert!(
            columns.contains(&("representative_name", "Mme Rep".into())),
            "{columns:?}"
        );
    }

    #[test]
    fn contract_columns_map_back_from_api_and_database_names() {
        assert_eq!(
            Kind::Contracts.column("price_s9_cents").unwrap().name,
            "price_s9_eur"
        );
        assert_eq!(
            Kind::Contracts.column("planned_minutes_s10").unwrap().name,
            "planned_hours_s10"
        );
        assert_eq!(
            Kind::Contracts.column("tutor_id").unwrap().name,
            "tutor_email"
        );
        assert_eq!(
            Kind::Tutors.column("company_id").unwrap().name,
            "company_siret"
        );
    }
}

/// Hostile input: whatever the bytes, each import file parses to records and errors, never a
/// panic; every error names a line of the file and, when it names a column, one of the kind's.
#[cfg(test)]
mod hostile_input {
    use proptest::prelude::*;

    use super::*;

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            ".{0,12}",
            prop::sample::select(vec![
                "",
                "\"",
                "\"\"",
                "=1+1",
                "2025-09-01",
                "01/09/2025",
                "31/02/2025",
                "73282932000074",
                "7328293200007",
                "4 500,00",
                "-3",
                "1e9",
                "oui",
                "non",
                "é",
                ";",
                ",",
                "\n",
                "\r\n",
            ])
            .prop_map(str::to_owned),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
            for kind in Kind::ALL {
                let parsed = parse_file(kind, &bytes);
                let lines = bytes.split(|b| *b == b'\n' || *b == b'\r').count();
                for e in &parsed.errors {
                    prop_assert!(e.line <= lines + 1, "{e:?} with {lines} lines");
                }
            }
        }

        #[test]
        fn rows_under_a_real_header_never_panic(
            kind in prop::sample::select(Kind::ALL.to_vec()),
            rows in prop::collection::vec(prop::collection::vec(cell(), 0..22), 0..8),
            separator in prop::sample::select(vec![',', ';']),
        ) {
            let names: Vec<&str> = kind.columns().iter().map(|c| c.name).collect();
            let header = names.join(&separator.to_string());
            let body: Vec<String> = rows
                .iter()
                .map(|cells| cells.join(&separator.to_string()))
                .collect();
            let text = format!("{header}\n{}", body.join("\n"));
            let parsed = parse_file(kind, text.as_bytes());
            for e in &parsed.errors {
                prop_assert!(e.line >= 1 && e.line <= text.split(['\n', '\r']).count() + 1, "{e:?}");
                if let Some(column) = &e.column {
                    prop_assert!(names.contains(&column.as_str()), "{e:?}");
                }
            }
            // The csv reader ends a record at \n, \r or \r\n.
            prop_assert!(parsed.records.len() <= text.split(['\n', '\r']).count());
        }
    }
}
