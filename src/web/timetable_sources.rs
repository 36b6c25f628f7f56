//! The office's pages for a group's timetable sources (issue 20): the sources and the form
//! that adds one (the mapping as fields, not JSON), a source's page with its dry run and its
//! sync, every event's fate in a table. Same rules as the API ([`crate::timetable`]).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate, NaiveTime};
use minijinja::{Value, context};
use serde::Deserialize;

use crate::app::ApiContext;
use crate::domain::timetable::Outcome;
use crate::domain::timetable::mapping::{
    Directory, Field, Mapping, ModuleRule, RoomRule, TeacherEntry, TeacherField, TeacherRule,
};
use crate::error::{AppError, FieldError};
use crate::http::crud::{self, Id};
use crate::http::programmes::Groups;
use crate::i18n::Lang;
use crate::timetable::{self, Counts, Source, SourceInput, SyncReport};
use crate::web::pages::{PageResult, show};
use crate::web::{AdminViewer, CsrfForm, Viewer};

/// An uploaded feed and the form around it: the use case refuses what is over the
/// configured size (`ASSIDU_TIMETABLE_MAX_BYTES`, 10 MB by default) with its own message.
pub const UPLOAD_LIMIT: usize = 32 * 1024 * 1024;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route(
            "/groups/{id}/timetable-sources",
            get(sources_page)
                .post(add)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/timetable-sources/{id}", get(source_page))
        .route("/timetable-sources/{id}/sync", post(sync))
}

/// The add form as typed, kept when it comes back with errors.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct SourceForm {
    label: String,
    url: String,
    module_field: String,
    module_pattern: String,
    module_codes: String,
    teacher_field: String,
    teacher_pattern: String,
    teacher_names: String,
    room_field: String,
    room_pattern: String,
    ignore: String,
    group: String,
    mapping_json: String,
    /// The name of the file chosen (a browser cannot be given it back).
    file_name: String,
}

/// The form's fields, in the page's order (the error summary follows it).
const FORM_FIELDS: [&str; 13] = [
    "label",
    "url",
    "file",
    "module_field",
    "module_pattern",
    "module_codes",
    "teacher_field",
    "teacher_pattern",
    "teacher_names",
    "room_field",
    "room_pattern",
    "ignore",
    "group",
];

/// Errors per form field; `general` for those no field holds.
type Errors = BTreeMap<String, Vec<String>>;

fn push(errors: &mut Errors, field: &str, message: String) {
    errors.entry(field.to_owned()).or_default().push(message);
}

/// The form field a use case's error names (`mapping.module.codes.GC501` → the codes
/// table), and what of the path the message should repeat (the code, the rule's rank).
fn form_field(path: &str, json: bool) -> (&'static str, Option<String>) {
    let tail = |prefix: &str| {
        path.strip_prefix(prefix)
            .map(|t| t.trim_start_matches('.').to_owned())
            .filter(|t| !t.is_empty())
    };
    if json && path.starts_with("mapping") {
        return ("mapping_json", tail("mapping"));
    }
    let field = match path {
        "label" => "label",
        "url" => "url",
        "file" | "content" | "file_name" => "file",
        "mapping.module.pattern" => "module_pattern",
        "mapping.teacher.pattern" => "teacher_pattern",
        "mapping.room.pattern" => "room_pattern",
        "mapping.group" => "group",
        p if p.starts_with("mapping.module.codes") => {
            return ("module_codes", tail("mapping.module.codes"));
        }
        p if p.starts_with("mapping.teacher.names") => {
            return ("teacher_names", tail("mapping.teacher.names"));
        }
        p if p.starts_with("mapping.ignore") => {
            return ("ignore", tail("mapping.ignore"));
        }
        p if p.starts_with("mapping.module") => "module_field",
        p if p.starts_with("mapping.teacher") => "teacher_field",
        p if p.starts_with("mapping.room") => "room_field",
        "mapping" => "mapping_json",
        _ => return ("general", Some(path.to_owned())),
    };
    (field, None)
}

fn field_of(raw: &str) -> Option<Field> {
    match raw {
        "summary" => Some(Field::Summary),
        "description" => Some(Field::Description),
        "location" => Some(Field::Location),
        "categories" => Some(Field::Categories),
        _ => None,
    }
}

fn teacher_field_of(raw: &str) -> Option<TeacherField> {
    match raw {
        "auto" | "" => Some(TeacherField::Auto),
        "attendee" => Some(TeacherField::Attendee),
        "organizer" => Some(TeacherField::Organizer),
        "description" => Some(TeacherField::Description),
        "summary" => Some(TeacherField::Summary),
        _ => None,
    }
}

fn optional(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The non-empty lines of a textarea, numbered from 1 as the admin sees them.
fn lines(raw: &str) -> impl Iterator<Item = (usize, &str)> {
    raw.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

/// A table's line `texte = valeur` (the text may itself hold `=`: the last one splits).
fn pair(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.rsplit_once('=')?;
    let (k, v) = (k.trim(), v.trim());
    (!k.is_empty() && !v.is_empty()).then_some((k, v))
}

fn number(raw: &str) -> Option<i64> {
    raw.trim_start_matches("n°")
        .trim_start_matches('#')
        .trim()
        .parse()
        .ok()
}

/// The mapping the form describes; every mistake the page can see by itself, in French.
fn mapping_of(form: &SourceForm, teachers: &[TeacherEntry]) -> (Mapping, Errors) {
    let mut errors = Errors::new();
    if !form.mapping_json.trim().is_empty() {
        let mapping = serde_json::from_str::<Mapping>(&form.mapping_json).unwrap_or_else(|e| {
            push(&mut errors, "mapping_json", format!("JSON illisible : {e}"));
            Mapping::default()
        });
        return (mapping, errors);
    }
    let module_field = field_of(&form.module_field).unwrap_or_else(|| {
        push(&mut errors, "module_field", "champ inconnu".to_owned());
        Field::Summary
    });
    let mut codes = BTreeMap::new();
    for (n, line) in lines(&form.module_codes) {
        match pair(line).and_then(|(k, v)| number(v).map(|id| (k, id))) {
            Some((code, id)) => {
                codes.insert(code.to_owned(), id);
            }
            None => push(
                &mut errors,
                "module_codes",
                format!("ligne {n} : « {line} » n’est pas de la forme « code = n° du module »"),
            ),
        }
    }
    let teacher_field = teacher_field_of(&form.teacher_field).unwrap_or_else(|| {
        push(&mut errors, "teacher_field", "champ inconnu".to_owned());
        TeacherField::Auto
    });
    let mut names = BTreeMap::new();
    for (n, line) in lines(&form.teacher_names) {
        let Some((name, who)) = pair(line) else {
            push(
                &mut errors,
                "teacher_names",
                format!(
                    "ligne {n} : « {line} » n’est pas de la forme « NOM Prénom = n° ou e-mail »"
                ),
            );
            continue;
        };
        let id = if who.contains('@') {
            teachers
                .iter()
                .find(|t| t.email.eq_ignore_ascii_case(who))
                .map(|t| t.id)
        } else {
            number(who)
        };
        match id {
            Some(id) => {
                names.insert(name.to_owned(), id);
            }
            None if who.contains('@') => push(
                &mut errors,
                "teacher_names",
                format!("ligne {n} : aucun·e enseignant·e n’a l’adresse « {who} »"),
            ),
            None => push(
                &mut errors,
                "teacher_names",
                format!("ligne {n} : « {who} » n’est ni un numéro ni une adresse e-mail"),
            ),
        }
    }
    let room_field = if form.room_field.is_empty() {
        Field::Location
    } else {
        field_of(&form.room_field).unwrap_or_else(|| {
            push(&mut errors, "room_field", "champ inconnu".to_owned());
            Field::Location
        })
    };
    let mapping = Mapping {
        module: ModuleRule {
            field: module_field,
            pattern: optional(&form.module_pattern),
            codes,
        },
        teacher: TeacherRule {
            field: teacher_field,
            pattern: optional(&form.teacher_pattern),
            names,
        },
        room: RoomRule {
            field: room_field,
            pattern: optional(&form.room_pattern),
        },
        ignore: lines(&form.ignore).map(|(_, l)| l.to_owned()).collect(),
        group: optional(&form.group),
    };
    (mapping, errors)
}

fn field_name(f: Field) -> &'static str {
    match f {
        Field::Summary => "summary",
        Field::Description => "description",
        Field::Location => "location",
        Field::Categories => "categories",
    }
}

/// `lun. 08/09/2025` (`Mon 08/09/2025`).
pub(crate) fn day_label(day: NaiveDate, lang: Lang) -> String {
    const FR: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
    const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let i = day.weekday().num_days_from_monday() as usize;
    let name = match lang {
        Lang::Fr => FR[i],
        Lang::En => EN[i],
    };
    format!("{name} {}", day.format("%d/%m/%Y"))
}

/// `08:30–12:00`.
pub(crate) fn times(a: NaiveTime, b: NaiveTime) -> String {
    format!("{}–{}", a.format("%H:%M"), b.format("%H:%M"))
}

pub(crate) fn outcome_label(o: Outcome, lang: Lang) -> String {
    match lang {
        Lang::Fr => o.label_fr().to_owned(),
        Lang::En => lang.text(&format!("tts_outcome_{}", o.as_str())).to_owned(),
    }
}

fn count_of(c: &Counts, o: Outcome) -> usize {
    match o {
        Outcome::New => c.new,
        Outcome::Unchanged => c.unchanged,
        Outcome::Moved => c.moved,
        Outcome::Cancelled => c.cancelled,
        Outcome::Unmatched => c.unmatched,
        Outcome::Refused => c.refused,
        Outcome::Conflict => c.conflict,
        Outcome::Ignored => c.ignored,
    }
}

/// « 12 nouvelles séances, 3 inchangées » (the outcomes that happened).
pub(crate) fn counts_text(c: &Counts, lang: Lang) -> String {
    let parts: Vec<String> = Outcome::ALL
        .iter()
        .filter(|o| count_of(c, **o) > 0)
        .map(|o| {
            let n = i64::try_from(count_of(c, *o)).unwrap_or(i64::MAX);
            lang.count(n, &format!("tts_n_{}", o.as_str()))
        })
        .collect();
    if parts.is_empty() {
        lang.text("tts_no_event").to_owned()
    } else {
        parts.join(", ")
    }
}

fn source_view(s: &Source, lang: Lang) -> Value {
    context! {
        id => s.id,
        label => s.label.clone(),
        kind => s.kind.clone(),
        origin => s.url.clone().or_else(|| s.file_name.clone()).unwrap_or_default(),
        url => s.url.clone(),
        file_name => s.file_name.clone(),
        created => crate::format::paris_minute(s.created_at),
        synced => s.synced_at.map(crate::format::paris_minute),
        counts => s.last_counts.as_ref().map(|c| counts_text(c, lang)),
        error => s.last_error.clone(),
        mapping => serde_json::to_string_pretty(&s.mapping).unwrap_or_default(),
    }
}

// ---- the group's sources --------------------------------------------------------------

async fn sources_page(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Id(group): Id,
) -> PageResult {
    let added = viewer.here.contains("added=");
    render_sources(
        &ctx,
        &viewer,
        group,
        &SourceForm::default(),
        &Errors::new(),
        added,
    )
    .await
}

async fn render_sources(
    ctx: &ApiContext,
    viewer: &Viewer,
    group: i64,
    form: &SourceForm,
    errors: &Errors,
    added: bool,
) -> PageResult {
    let lang = viewer.lang;
    let g = crud::fetch::<Groups>(&ctx.db, group).await?;
    let sources: Vec<Value> = timetable::sources(ctx, Some(group))
        .await?
        .iter()
        .map(|s| source_view(s, lang))
        .collect();
    // The names the tables may use: what the mapping itself may name.
    let Directory { modules, teachers } = timetable::directory(ctx, group).await?;
    let fields: Vec<Value> = ["summary", "description", "location", "categories"]
        .iter()
        .map(|f| context! { value => *f, label => lang.text(&format!("tts_field_{f}")) })
        .collect();
    let teacher_fields: Vec<Value> = ["auto", "attendee", "organizer", "description", "summary"]
        .iter()
        .map(|f| context! { value => *f, label => lang.text(&format!("tts_tfield_{f}")) })
        .collect();
    let summary: Vec<Value> = FORM_FIELDS
        .iter()
        .chain(["mapping_json", "general"].iter())
        .filter_map(|f| {
            errors
                .get(*f)
                .map(|m| context! { field => *f, label => lang.text(&format!("tts_f_{f}")), messages => m.clone() })
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut shown = form.clone();
    if shown.module_field.is_empty() {
        shown.module_field = field_name(Field::Summary).to_owned();
    }
    if shown.room_field.is_empty() {
        shown.room_field = field_name(Field::Location).to_owned();
    }
    if shown.teacher_field.is_empty() {
        shown.teacher_field = "auto".to_owned();
    }
    show(
        ctx,
        viewer,
        status,
        "pages/timetable_sources.html",
        context! {
            group => context! { id => g.id, name => g.name.clone() },
            sources,
            modules => modules.iter().map(|m| context! { id => m.id, name => m.name.clone() }).collect::<Vec<_>>(),
            teachers => teachers.iter().map(|t| context! { id => t.id, name => format!("{} {}", t.last_name.to_uppercase(), t.first_name), email => t.email.clone() }).collect::<Vec<_>>(),
            fields,
            teacher_fields,
            form => crate::web::ser(&shown),
            errors => crate::web::ser(errors),
            summary,
            added,
        },
    )
    .await
}

/// The add form: the parts of a multipart body, the file's bytes aside.
async fn read_form(
    mut multipart: Multipart,
) -> Result<(SourceForm, Option<Vec<u8>>, Option<String>), AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("formulaire illisible : {e}"))
    };
    let mut form = SourceForm::default();
    let (mut content, mut csrf) = (None, None);
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(bad)?;
            // A file input left empty still sends an empty part.
            if !bytes.is_empty() || !file_name.is_empty() {
                form.file_name = file_name;
                content = Some(bytes.to_vec());
            }
            continue;
        }
        let text = field.text().await.map_err(bad)?;
        let slot = match name.as_str() {
            "csrf" => {
                csrf = Some(text);
                continue;
            }
            "label" => &mut form.label,
            "url" => &mut form.url,
            "module_field" => &mut form.module_field,
            "module_pattern" => &mut form.module_pattern,
            "module_codes" => &mut form.module_codes,
            "teacher_field" => &mut form.teacher_field,
            "teacher_pattern" => &mut form.teacher_pattern,
            "teacher_names" => &mut form.teacher_names,
            "room_field" => &mut form.room_field,
            "room_pattern" => &mut form.room_pattern,
            "ignore" => &mut form.ignore,
            "group" => &mut form.group,
            "mapping" | "mapping_json" => &mut form.mapping_json,
            _ => continue,
        };
        *slot = text;
    }
    Ok((form, content, csrf))
}

async fn add(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Id(group): Id,
    multipart: Multipart,
) -> PageResult {
    let (form, content, csrf) = read_form(multipart).await?;
    viewer.check_csrf(csrf.as_deref())?;
    // The group must exist before anything is said about the form.
    crud::fetch::<Groups>(&ctx.db, group).await?;
    let teachers = timetable::directory(&ctx, group).await?.teachers;
    let (mapping, mut errors) = mapping_of(&form, &teachers);
    if errors.is_empty() {
        let input = SourceInput {
            label: form.label.trim().to_owned(),
            url: optional(&form.url),
            file_name: content.as_ref().map(|_| form.file_name.clone()),
            content,
            mapping,
        };
        match timetable::add_source(&ctx, &viewer.caller, group, input).await {
            Ok(source) => {
                return Ok(
                    Redirect::to(&format!("/timetable-sources/{}?added=1", source.id))
                        .into_response(),
                );
            }
            Err(AppError::Validation(problems)) => {
                let json = !form.mapping_json.trim().is_empty();
                for FieldError { field, message } in problems {
                    let (at, detail) = form_field(&field, json);
                    let message = match detail {
                        Some(d) => format!("{d} : {message}"),
                        None => message,
                    };
                    push(&mut errors, at, message);
                }
            }
            // A file over `ASSIDU_TIMETABLE_MAX_BYTES`: said next to the file field too.
            Err(AppError::TooLarge(message)) => push(&mut errors, "file", message),
            Err(e) => return Err(e.into()),
        }
    }
    render_sources(&ctx, &viewer, group, &form, &errors, false).await
}

// ---- a source, its dry run and its sync ------------------------------------------------

async fn source_page(State(ctx): State<ApiContext>, viewer: AdminViewer, Id(id): Id) -> PageResult {
    let added = viewer.here.contains("added=1");
    render_source(&ctx, &viewer, id, None, added).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SyncForm {
    dry_run: String,
}

/// What a sync answered: its report, or why the feed could not be read.
enum Run {
    Report(SyncReport),
    Failed(Vec<String>),
}

async fn sync(
    State(ctx): State<ApiContext>,
    Id(id): Id,
    CsrfForm { viewer, form }: CsrfForm<SyncForm, AdminViewer>,
) -> PageResult {
    let dry_run = matches!(form.dry_run.as_str(), "1" | "true" | "on");
    // The source first: another's id is a 404 page, not an error block.
    timetable::source(&ctx, id).await?;
    let run = match timetable::sync(&ctx, id, dry_run).await {
        Ok(report) => Run::Report(report),
        // The feed did not answer, is not a calendar, or is malformed (with its line):
        // nothing changed, said in French on the page.
        Err(AppError::Validation(problems)) => {
            Run::Failed(problems.into_iter().map(|p| p.message).collect())
        }
        Err(AppError::Conflict(message)) => Run::Failed(vec![message]),
        Err(e) => return Err(e.into()),
    };
    render_source(&ctx, &viewer, id, Some(run), false).await
}

fn report_view(r: &SyncReport, lang: Lang) -> Value {
    let events: Vec<Value> = r
        .events
        .iter()
        .map(|e| {
            context! {
                outcome => e.outcome.as_str(),
                label => outcome_label(e.outcome, lang),
                day => day_label(e.day, lang),
                times => times(e.starts_at, e.ends_at),
                summary => e.summary.clone(),
                reason => e.reason.clone(),
                line => e.line,
                session_url => e.session_id.map(|s| format!("/sessions/{s}")),
                session_id => e.session_id,
            }
        })
        .collect();
    context! {
        dry_run => r.dry_run,
        counts => counts_text(&r.counts, lang),
        flagged => r.flagged,
        events,
    }
}

async fn render_source(
    ctx: &ApiContext,
    viewer: &Viewer,
    id: i64,
    run: Option<Run>,
    added: bool,
) -> PageResult {
    let lang = viewer.lang;
    let source = timetable::source(ctx, id).await?;
    let (report, failure) = match run {
        Some(Run::Report(r)) => (Some(report_view(&r, lang)), None),
        Some(Run::Failed(messages)) => (None, Some(messages)),
        None => (None, None),
    };
    let status = if failure.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let flags_open = timetable::flags(ctx, false)
        .await?
        .iter()
        .filter(|f| f.source_id == id)
        .count();
    show(
        ctx,
        viewer,
        status,
        "pages/timetable_source.html",
        context! {
            source => source_view(&source, lang),
            group => context! { id => source.group_id, name => source.group_name.clone() },
            report,
            failure,
            added,
            flags_open,
        },
    )
    .await
}
