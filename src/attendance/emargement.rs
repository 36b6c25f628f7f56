//! The émargement sheets: one session (every student of the roster), or one student over
//! a period (every half-day of their group), built as rows and written as PDF or CSV.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;

use super::hours::visible_contracts;
use super::roll_call;
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::sheets;
use crate::domain::attendance::{Mark, SessionTimes, Status, half_day_en, half_day_fr};
use crate::domain::contract_kind::ContractKind;
use crate::domain::roles::Role;
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult};
use crate::export::spreadsheet_safe;
use crate::format::{self, paris_time};
use crate::i18n::Lang;
use crate::pdf::sheet::{Sheet, SheetLine, render_sheet};

/// One student at one session, with everything a line of the sheet says.
#[derive(Debug, Clone)]
pub struct EmargementRow {
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module: String,
    pub teacher: String,
    pub student: String,
    pub mark: Option<Mark>,
    /// The trainee's own sign-in of this half-day: when, and whether with the classroom's
    /// rotating code (else from their own account).
    pub self_signin: Option<(DateTime<Utc>, bool)>,
    pub teacher_signed_at: Option<DateTime<Utc>>,
    /// The learner's contract kind, for the words of the sheet.
    pub kind: ContractKind,
}

impl EmargementRow {
    fn minutes(&self) -> i64 {
        SessionTimes::new(self.day, self.starts_at, self.ends_at).minutes()
    }

    fn attended(&self) -> i64 {
        self.mark
            .map_or(0, |m| self.minutes() - m.missed(self.minutes()))
    }

    fn excused(&self) -> i64 {
        self.mark.map_or(0, |m| m.excused(self.minutes()))
    }

    fn status_label(&self, lang: Lang) -> String {
        let label = |s: Status| {
            if lang == Lang::En {
                s.label_en()
            } else {
                s.label_fr()
            }
        };
        match self.mark {
            None => lang.pick("non saisi", "not recorded").to_owned(),
            Some(m) if m.status.counts_minutes() => {
                let missed = m.minutes_missed;
                match (m.excused_minutes, lang) {
                    (0, _) => format!("{} ({missed} min)", label(m.status)),
                    (e, Lang::Fr) if e >= missed => {
                        format!("{} ({missed} min, justifiées)", label(m.status))
                    }
                    (e, Lang::Fr) => {
                        format!("{} ({missed} min, dont {e} justifiées)", label(m.status))
                    }
                    (e, Lang::En) if e >= missed => {
                        format!("{} ({missed} min, excused)", label(m.status))
                    }
                    (e, Lang::En) => format!("{} ({missed} min, {e} excused)", label(m.status)),
                }
            }
            Some(m) => label(m.status).to_owned(),
        }
    }

    /// The trainee's column: their signature (time and method), or why there is none. A
    /// presence the teacher recorded without the trainee's own signature says so: the
    /// trainer's word alone is not the trainee's proof (CAA Nantes, 2021).
    fn trainee_signature(&self, lang: Lang) -> String {
        match (self.self_signin, lang) {
            (Some((at, true)), Lang::Fr) => format!("signé {} (code de la salle)", paris_time(at)),
            (Some((at, false)), Lang::Fr) => format!("signé {} (compte personnel)", paris_time(at)),
            (Some((at, true)), Lang::En) => format!("signed {} (classroom code)", paris_time(at)),
            (Some((at, false)), Lang::En) => format!("signed {} (own account)", paris_time(at)),
            (None, _) if self.mark.is_some_and(|m| m.status.attended()) => match lang {
                Lang::Fr => format!("présence non signée par l’{}", self.kind.learner()),
                Lang::En => "presence not signed by the trainee".to_owned(),
            },
            (None, _) => String::new(),
        }
    }

    /// A presence recorded without the trainee's own signature.
    pub fn unsigned_presence(&self) -> bool {
        self.self_signin.is_none() && self.mark.is_some_and(|m| m.status.attended())
    }

    fn half_day(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Fr => half_day_fr(self.starts_at),
            Lang::En => half_day_en(self.starts_at),
        }
    }
}

/// The French headings, the learner's word following the contracts on the sheet.
fn columns_fr(kind: ContractKind) -> [String; 10] {
    [
        "Date".to_owned(),
        "Demi-journée".to_owned(),
        "Horaires".to_owned(),
        "Module".to_owned(),
        "Enseignant·e".to_owned(),
        kind.learner_capitalized().to_owned(),
        "Statut".to_owned(),
        "Heures".to_owned(),
        format!("Signature {}", kind.learner()),
        "Signature enseignant·e".to_owned(),
    ]
}
const COLUMNS_EN: [&str; 10] = [
    "Date",
    "Half-day",
    "Times",
    "Module",
    "Teacher",
    "Student",
    "Status",
    "Hours",
    "Trainee signature",
    "Teacher signature",
];

/// The title, header lines and totals around the rows.
pub struct Emargement {
    pub title: String,
    pub header_lines: Vec<String>,
    pub rows: Vec<EmargementRow>,
    pub lang: Lang,
    pub generated_at: DateTime<Utc>,
    /// The file name without extension.
    pub file_stem: String,
}

impl Emargement {
    fn totals(&self) -> Vec<String> {
        let scheduled: i64 = self.rows.iter().map(EmargementRow::minutes).sum();
        let attended: i64 = self.rows.iter().map(EmargementRow::attended).sum();
        let excused: i64 = self.rows.iter().map(EmargementRow::excused).sum();
        let unsigned = self.rows.iter().filter(|r| r.unsigned_presence()).count();
        let presences = self
            .rows
            .iter()
            .filter(|r| r.mark.is_some_and(|m| m.status.attended()))
            .count();
        let unrecorded: i64 = self
            .rows
            .iter()
            .filter(|r| r.mark.is_none())
            .map(EmargementRow::minutes)
            .sum();
        let absence = scheduled - attended - excused - unrecorded;
        let kind = ContractKind::common(self.rows.iter().map(|r| r.kind));
        match self.lang {
            Lang::Fr => vec![
                format!(
                    "{} · programmées {} · présence {} · absences non justifiées {} · absences justifiées {} · non saisies {}",
                    crate::domain::text::count_fr(self.rows.len() as i64, "ligne", "lignes"),
                    format::hours(scheduled),
                    format::hours(attended),
                    format::hours(absence),
                    format::hours(excused),
                    format::hours(unrecorded)
                ),
                format!(
                    "Présences signées par l’{} : {} sur {}",
                    kind.learner(),
                    presences - unsigned,
                    presences
                ),
            ],
            Lang::En => vec![
                format!(
                    "{} · scheduled {} · attended {} · unexcused absence {} · excused {} · not recorded {}",
                    crate::domain::text::count_en(self.rows.len() as i64, "line", "lines"),
                    format::hours(scheduled),
                    format::hours(attended),
                    format::hours(absence),
                    format::hours(excused),
                    format::hours(unrecorded)
                ),
                format!(
                    "Presences signed by the trainee: {} of {}",
                    presences - unsigned,
                    presences
                ),
            ],
        }
    }

    fn lines(&self) -> Vec<SheetLine> {
        let lang = self.lang;
        self.rows
            .iter()
            .map(|r| SheetLine {
                day: date_fr(r.day),
                half_day: r.half_day(lang).to_owned(),
                times: format!(
                    "{}–{}",
                    r.starts_at.format("%H:%M"),
                    r.ends_at.format("%H:%M")
                ),
                module: r.module.clone(),
                teacher: r.teacher.clone(),
                student: r.student.clone(),
                status: r.status_label(lang),
                hours_attended: format::hours(r.attended()),
                self_signed_at: r.trainee_signature(lang),
                teacher_signed_at: r
                    .teacher_signed_at
                    .map(format::paris_minute)
                    .unwrap_or_else(|| lang.pick("non signée", "not signed").to_owned()),
            })
            .collect()
    }

    pub fn pdf(&self) -> AppResult<Vec<u8>> {
        let columns = match self.lang {
            Lang::Fr => columns_fr(ContractKind::common(self.rows.iter().map(|r| r.kind))),
            Lang::En => COLUMNS_EN.map(str::to_owned),
        };
        let generated = self.generated_at.with_timezone(&chrono_tz::Europe::Paris);
        let sheet = Sheet {
            title: self.title.clone(),
            header_lines: self.header_lines.clone(),
            columns,
            lines: self.lines(),
            totals: self.totals(),
            generated_at: match self.lang {
                Lang::Fr => format!("Édité le {}", format::paris_at(self.generated_at)),
                Lang::En => format!("Printed on {}", generated.format("%d/%m/%Y at %H:%M")),
            },
        };
        render_sheet(&sheet).map_err(AppError::Internal)
    }

    /// One line per student and session; decimal hours with a point, for spreadsheets.
    pub fn csv(&self) -> AppResult<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "date",
            "half_day",
            "starts_at",
            "ends_at",
            "module",
            "teacher",
            "student",
            "status",
            "minutes_missed",
            "attended_hours",
            "self_signed_at",
            "teacher_signed_at",
            "excused_minutes",
            "self_signin_method",
        ];
        let csv_err = |e: csv::Error| AppError::Internal(e.into());
        w.write_record(header).map_err(csv_err)?;
        for r in &self.rows {
            let minutes_missed = r
                .mark
                .map(|m| m.minutes_missed.to_string())
                .unwrap_or_default();
            let rfc = |t: Option<DateTime<Utc>>| {
                t.map(|t| t.with_timezone(&chrono_tz::Europe::Paris).to_rfc3339())
                    .unwrap_or_default()
            };
            w.write_record([
                r.day.to_string(),
                r.half_day(self.lang).to_owned(),
                r.starts_at.format("%H:%M").to_string(),
                r.ends_at.format("%H:%M").to_string(),
                spreadsheet_safe(&r.module).into_owned(),
                spreadsheet_safe(&r.teacher).into_owned(),
                spreadsheet_safe(&r.student).into_owned(),
                r.mark
                    .map(|m| m.status.as_str().to_owned())
                    .unwrap_or_default(),
                minutes_missed,
                format!("{:.2}", r.attended() as f64 / 60.0),
                rfc(r.self_signin.map(|s| s.0)),
                rfc(r.teacher_signed_at),
                r.mark
                    .map(|m| m.excused(r.minutes()).to_string())
                    .unwrap_or_default(),
                match r.self_signin {
                    Some((_, true)) => "code".to_owned(),
                    Some((_, false)) => "account".to_owned(),
                    None if r.unsigned_presence() => "none".to_owned(),
                    None => String::new(),
                },
            ])
            .map_err(csv_err)?;
        }
        w.into_inner()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
    }
}

/// The file an émargement sheet is written as.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    Pdf,
    Csv,
}

async fn school_header(ctx: &ApiContext) -> AppResult<Vec<String>> {
    Ok(match sheets::school_letterhead(&ctx.db).await? {
        Some((name, address)) => vec![format!("{name} — {address}")],
        None => Vec::new(),
    })
}

/// The sheet of one session: the admin's or the session's teacher's.
pub async fn session_emargement(
    ctx: &ApiContext,
    caller: &Caller,
    session_id: i64,
    lang: Lang,
) -> AppResult<Emargement> {
    if !matches!(caller.role, Role::Admin | Role::Teacher) {
        return Err(AppError::Forbidden);
    }
    let sheet = roll_call::sheet(ctx, caller, session_id).await?;
    let s = &sheet.session;
    let mut header_lines = school_header(ctx).await?;
    header_lines.push(match lang {
        Lang::Fr => format!(
            "Groupe : {} · Module : {} · Enseignant·e : {} · Salle : {}",
            s.group_name, s.module_name, s.teacher_name, s.room
        ),
        Lang::En => format!(
            "Group: {} · Module: {} · Teacher: {} · Room: {}",
            s.group_name, s.module_name, s.teacher_name, s.room
        ),
    });
    // Each learner's contract kind that day, for the words of the sheet.
    let kinds = sheets::contract_kinds(&ctx.db, s.group_id, s.day).await?;
    let kind_of = |student: i64| {
        kinds
            .iter()
            .find(|(id, _)| *id == student)
            .map(|(_, k)| ContractKind::of_stored(k))
            .unwrap_or_default()
    };
    let rows = sheet
        .roster
        .iter()
        .map(|l| EmargementRow {
            day: s.day,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            module: s.module_name.clone(),
            teacher: s.teacher_name.clone(),
            student: format!("{} {}", l.last_name.to_uppercase(), l.first_name),
            mark: l.mark.as_ref().map(|m| Mark {
                status: m.status,
                minutes_missed: m.minutes_missed,
                excused_minutes: m.excused_minutes,
            }),
            self_signin: l.self_signin.as_ref().map(|x| (x.signed_at, x.with_code)),
            teacher_signed_at: s.signed_at,
            kind: kind_of(l.student_id),
        })
        .collect();
    Ok(Emargement {
        title: match lang {
            Lang::Fr => format!(
                "Feuille d’émargement — séance du {} ({})",
                date_fr(s.day),
                half_day_fr(s.starts_at)
            ),
            Lang::En => format!(
                "Attendance sheet — session of {} ({})",
                date_fr(s.day),
                half_day_en(s.starts_at)
            ),
        },
        header_lines,
        rows,
        lang,
        generated_at: ctx.clock.now(),
        file_stem: format!("emargement-seance-{}-{}", s.id, s.day),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StudentSheetQuery {
    /// First day (default: the contract's start).
    pub from: Option<NaiveDate>,
    /// Last day (default: the contract's last day).
    pub to: Option<NaiveDate>,
    /// One of the student's contracts; the latest by default.
    pub contract_id: Option<i64>,
    #[serde(default)]
    #[param(value_type = Option<String>, example = "fr")]
    pub lang: Lang,
}

/// The sheet of one student over a period: every session of their group that their
/// contract covers.
pub async fn student_emargement(
    ctx: &ApiContext,
    caller: &Caller,
    student_id: i64,
    q: &StudentSheetQuery,
) -> AppResult<Emargement> {
    let contracts = visible_contracts(&ctx.db, caller, student_id).await?;
    let c = match q.contract_id {
        None => &contracts[0],
        Some(id) => contracts.iter().find(|c| c.id == id).ok_or_else(|| {
            AppError::field("contract_id", format!("aucun contrat n° {id} visible"))
        })?,
    };
    let dates = c.dates();
    let from = q.from.unwrap_or(dates.start).max(dates.start);
    let to = q.to.unwrap_or(dates.last_day()).min(dates.last_day());
    if q.from.is_some_and(|f| q.to.is_some_and(|t| f > t)) {
        return Err(AppError::field(
            "to",
            "la fin de la période précède son début",
        ));
    }
    let (first, last) = sheets::student_name(&ctx.db, student_id).await?;
    let student = format!("{} {first}", last.to_uppercase());
    let rows = match c.group_id {
        None => Vec::new(),
        Some(group) => sheets::student_lines(&ctx.db, student_id, group, from, to).await?,
    };
    let rows = rows
        .into_iter()
        .map(|r| EmargementRow {
            day: r.day,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            module: r.module_name,
            teacher: r.teacher_name,
            student: student.clone(),
            mark: r.status.as_deref().and_then(Status::parse).map(|s| Mark {
                status: s,
                minutes_missed: r.minutes_missed.unwrap_or(0),
                excused_minutes: r.excused_minutes.unwrap_or(0),
            }),
            self_signin: r
                .self_signed_at
                .map(|at| (at, r.with_code.unwrap_or(false))),
            kind: c.kind(),
            teacher_signed_at: r.signed_at,
        })
        .collect();
    let mut header_lines = school_header(ctx).await?;
    header_lines.push(match q.lang {
        Lang::Fr => format!(
            "{} : {student} · Contrat n° {} ({}) · du {} au {}",
            c.kind().learner_capitalized(),
            c.id,
            c.academic_year,
            date_fr(from),
            date_fr(to)
        ),
        Lang::En => format!(
            "Student: {student} · Contract no. {} ({}) · from {} to {}",
            c.id,
            c.academic_year,
            date_fr(from),
            date_fr(to)
        ),
    });
    Ok(Emargement {
        title: match q.lang {
            Lang::Fr => format!("Feuille d’émargement — {student}"),
            Lang::En => format!("Attendance sheet — {student}"),
        },
        header_lines,
        rows,
        lang: q.lang,
        generated_at: ctx.clock.now(),
        file_stem: format!("emargement-alternant-{student_id}-{from}-{to}"),
    })
}
