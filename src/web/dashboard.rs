//! The admin's dashboard page: the weekly attendance rate per group as a chart, the
//! students at risk as cards, and planned vs scheduled vs done hours per semester. The
//! charts are inline SVG built by [`super::chart`]; each has its data in a table.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use minijinja::{Value, context};
use serde::Deserialize;

use super::chart::{self, BarBlock, BarChart, RateChart, Series, XTick};
use super::pages::{PageResult, show};
use super::{AdminViewer, WebError};
use crate::app::ApiContext;
use crate::dashboard::{self, Dashboard, HalfDay, RiskReason};
use crate::domain::text::date_fr;
use crate::error::AppError;
use crate::format;
use crate::i18n::Lang;

#[derive(Debug, Deserialize)]
pub struct DashboardForm {
    academic_year_id: Option<String>,
}

/// « 0 groupe », « 1 groupe », « 2 groupes »: a count with its noun agreeing (French keeps
/// 0 and 1 singular, English only 1).
pub(crate) fn counted(lang: Lang, n: usize, one: &str, many: &str) -> String {
    let singular = match lang {
        Lang::Fr => n <= 1,
        Lang::En => n == 1,
    };
    format!("{n}\u{a0}{}", if singular { one } else { many })
}

fn percent(rate: f64, lang: Lang) -> String {
    chart::percent(rate, lang == Lang::Fr)
}

/// Why a student is at risk, in a sentence.
fn reason_text(r: &RiskReason, lang: Lang) -> String {
    match (r, lang) {
        (
            RiskReason::Threshold {
                semester,
                threshold,
                missed_hours,
                excused_hours,
                planned_hours,
                percent: p,
                ..
            },
            _,
        ) => {
            let p = percent(p / 100.0, lang);
            let excused = (*excused_hours > 0.0).then(|| format::hours_of(*excused_hours));
            match lang {
                Lang::Fr => format!(
                    "{semester} : {} d’absence{} sur {} prévues ({p}), seuil d’alerte de {threshold}\u{a0}% atteint",
                    format::hours_of(*missed_hours),
                    excused.map_or(String::new(), |e| format!(" (dont {e} justifiées)")),
                    format::hours_of(*planned_hours),
                ),
                Lang::En => format!(
                    "{semester}: {} absent{} of {} planned ({p}), alert threshold of {threshold}\u{a0}% reached",
                    format::hours_of(*missed_hours),
                    excused.map_or(String::new(), |e| format!(" ({e} of them excused)")),
                    format::hours_of(*planned_hours),
                ),
            }
        }
        (
            RiskReason::Dropout {
                from,
                from_half_day,
                half_days,
            },
            _,
        ) => {
            let half = match (from_half_day, lang) {
                (HalfDay::Morning, Lang::Fr) => "matin",
                (HalfDay::Afternoon, Lang::Fr) => "après-midi",
                (HalfDay::Morning, Lang::En) => "morning",
                (HalfDay::Afternoon, Lang::En) => "afternoon",
            };
            match lang {
                Lang::Fr => format!(
                    "Décrochage : {half_days} demi-journées d’absence consécutives depuis le {} ({half})",
                    date_fr(*from)
                ),
                Lang::En => format!(
                    "Dropout: {half_days} consecutive half-days absent from {} ({half})",
                    date_fr(*from)
                ),
            }
        }
        (
            RiskReason::LowAttendance {
                from,
                to,
                rate,
                attended_hours,
                recorded_hours,
            },
            _,
        ) => match lang {
            Lang::Fr => format!(
                "Présence de {} sur les 4 dernières semaines (du {} au {}), sous 90\u{a0}% : {} de présence sur {} saisies",
                percent(*rate, lang),
                date_fr(*from),
                date_fr(*to),
                format::hours_of(*attended_hours),
                format::hours_of(*recorded_hours)
            ),
            Lang::En => format!(
                "Attendance of {} over the last 4 weeks ({} – {}), below 90\u{a0}%: {} attended of {} recorded",
                percent(*rate, lang),
                date_fr(*from),
                date_fr(*to),
                format::hours_of(*attended_hours),
                format::hours_of(*recorded_hours)
            ),
        },
    }
}

/// The rules, as the page states them above the cards.
fn rules_text(d: &Dashboard, lang: Lang) -> String {
    let thresholds = d
        .absence_thresholds
        .iter()
        .map(|t| format!("{t}\u{a0}%"))
        .collect::<Vec<_>>();
    let n = d.dropout_half_days;
    match lang {
        Lang::Fr => format!(
            "Sont signalé·es : les absences d’un semestre qui atteignent un seuil d’alerte ({} des heures prévues), un décrochage ({n} demi-journées d’absence consécutives) ou une présence sous 90\u{a0}% sur les 4 dernières semaines.",
            thresholds.join(", ")
        ),
        Lang::En => format!(
            "Listed: absences of a semester reaching an alert threshold ({} of the planned hours), a dropout ({n} consecutive half-days absent) or attendance below 90\u{a0}% over the last 4 weeks.",
            thresholds.join(", ")
        ),
    }
}

/// The chart of the weekly rates, its table, and its words.
fn weekly_view(d: &Dashboard, lang: Lang) -> Value {
    // The week in progress is not plotted: half a week's roll calls are not a fall.
    let mut mondays: Vec<_> = d
        .weeks
        .iter()
        .filter(|w| w.monday <= d.as_of && !w.in_progress)
        .map(|w| w.monday)
        .collect();
    mondays.sort_unstable();
    mondays.dedup();
    let week_word = lang.pick("semaine", "week");
    let ticks: Vec<XTick> = mondays
        .iter()
        .map(|m| {
            let number = chrono::Datelike::iso_week(m).week();
            XTick {
                short: format!("{}{number}", lang.pick("S", "W")),
                long: format!("{week_word} {number} ({})", date_fr(*m)),
            }
        })
        .collect();
    // One line per group that had sessions, in the groups' order.
    let series: Vec<(i64, Series)> = d
        .groups
        .iter()
        .filter(|g| d.weeks.iter().any(|w| w.group_id == g.id))
        .map(|g| {
            let values = mondays
                .iter()
                .map(|m| {
                    d.weeks
                        .iter()
                        .find(|w| w.group_id == g.id && w.monday == *m)
                        .and_then(|w| w.attendance_rate)
                })
                .collect();
            (
                g.id,
                Series {
                    name: g.name.clone(),
                    values,
                },
            )
        })
        .collect();
    let lines: Vec<Series> = series.iter().map(|(_, s)| s.clone()).collect();
    let range = match (ticks.first(), ticks.last()) {
        (Some(a), Some(b)) => format!("{} – {}", a.long, b.long),
        _ => String::new(),
    };
    let desc = match lang {
        Lang::Fr => format!(
            "Taux de présence (heures de présence sur heures saisies) de chaque groupe par semaine, {range} ; la ligne pointillée marque 90\u{a0}%. Les valeurs sont dans le tableau qui suit."
        ),
        Lang::En => format!(
            "Attendance rate (hours attended over hours recorded) of each group per week, {range}; the dashed line marks 90\u{a0}%. The values are in the table below."
        ),
    };
    let svg = (!ticks.is_empty()).then(|| {
        chart::rate_chart(&RateChart {
            id: "weekly-rates",
            title: lang.text("weekly_rates"),
            desc: &desc,
            x: &ticks,
            series: &lines,
            target: Some(0.9),
            decimal_comma: lang == Lang::Fr,
        })
    });
    let rows: Vec<Value> = ticks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            context! {
                week => t.long.clone(),
                rates => lines.iter().map(|s| s.values[i].map_or_else(|| "—".to_owned(), |r| percent(r, lang))).collect::<Vec<_>>(),
            }
        })
        .collect();
    // The week in progress, on the sessions already held, beside the chart.
    let current = d.weeks.iter().find(|w| w.in_progress).map(|w| {
        let number = chrono::Datelike::iso_week(&w.monday).week();
        let rates: Vec<String> = series
            .iter()
            .map(|(id, s)| {
                let rate = d
                    .weeks
                    .iter()
                    .find(|x| x.in_progress && x.group_id == *id)
                    .and_then(|x| x.attendance_rate);
                format!("{} {}", s.name, rate.map_or_else(|| "—".to_owned(), |r| percent(r, lang)))
            })
            .collect();
        context! {
            label => match lang {
                Lang::Fr => format!("Semaine en cours (semaine {number}, depuis le {}), sur les séances déjà passées", date_fr(w.monday)),
                Lang::En => format!("Week in progress (week {number}, from {}), over the sessions already held", date_fr(w.monday)),
            },
            week => match lang {
                Lang::Fr => format!("semaine {number} ({}), en cours", date_fr(w.monday)),
                Lang::En => format!("week {number} ({}), in progress", date_fr(w.monday)),
            },
            rates => series.iter().map(|(id, _)| d.weeks.iter().find(|x| x.in_progress && x.group_id == *id)
                .and_then(|x| x.attendance_rate).map_or_else(|| "—".to_owned(), |r| percent(r, lang))).collect::<Vec<_>>(),
            text => rates.join(" · "),
        }
    });
    context! {
        svg, rows, current,
        groups => series.iter().enumerate().map(|(k, (_, s))| context! { name => s.name.clone(), colour => chart::colour(k) }).collect::<Vec<_>>(),
    }
}

/// The planned vs scheduled vs done bars of each group and semester, and their table.
fn semesters_view(d: &Dashboard, lang: Lang) -> Value {
    let names = [
        lang.text("planned").to_owned(),
        lang.text("scheduled").to_owned(),
        lang.text("done").to_owned(),
    ];
    let blocks: Vec<BarBlock> = d
        .semesters
        .iter()
        .map(|s| BarBlock {
            label: format!("{} — {}", s.group_name, s.semester),
            values: vec![s.planned_hours, s.scheduled_hours, s.attended_hours],
            texts: [s.planned_hours, s.scheduled_hours, s.attended_hours]
                .iter()
                .map(|h| format::hours_of(*h))
                .collect(),
        })
        .collect();
    let desc = match lang {
        Lang::Fr => {
            "Pour chaque groupe et semestre : heures prévues aux contrats, heures programmées et heures faites, cumulées sur les alternant·es du groupe. Les valeurs sont dans le tableau qui suit."
        }
        Lang::En => {
            "For each group and semester: hours planned in the contracts, hours scheduled and hours done, summed over the group's students. The values are in the table below."
        }
    };
    let svg = (!blocks.is_empty()).then(|| {
        chart::bar_chart(&BarChart {
            id: "semester-hours",
            title: lang.text("hours_per_semester"),
            desc,
            bar_names: &names,
            blocks: &blocks,
        })
    });
    let rows: Vec<Value> = d
        .semesters
        .iter()
        .map(|s| {
            context! {
                group => s.group_name.clone(), semester => s.semester.as_str(), students => s.student_count,
                planned => format::hours_of(s.planned_hours), scheduled => format::hours_of(s.scheduled_hours),
                done => format::hours_of(s.attended_hours), to_come => format::hours_of(s.upcoming_hours),
                absence => format::hours_of(s.absence_hours), excused => format::hours_of(s.excused_hours),
                rate => s.attendance_rate.map(|r| percent(r, lang)),
            }
        })
        .collect();
    context! { svg, rows }
}

/// The dashboard of a year (`?academic_year_id=`, by default the current one). Admins only.
pub async fn page(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Query(q): Query<DashboardForm>,
) -> PageResult {
    let lang = viewer.lang;
    let year_id = match q.academic_year_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            WebError::new(
                AppError::field(
                    "academic_year_id",
                    format!("identifiant d’année invalide « {v} »"),
                ),
                lang,
            )
        })?),
    };
    let years: Vec<(i64, String)> = crate::db::years::all(&ctx.db)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|y| (y.id, y.name))
        .collect();
    if years.is_empty() && year_id.is_none() {
        return show(
            &ctx,
            &viewer,
            StatusCode::OK,
            "pages/dashboard.html",
            context! { no_year => true },
        )
        .await;
    }
    let d = dashboard::dashboard(&ctx, year_id).await?;
    let at_risk: Vec<Value> = d
        .at_risk
        .iter()
        .map(|a| {
            context! {
                name => format!("{} {}", a.first_name, a.last_name.to_uppercase()),
                url => format!("/students/{}", a.student_id),
                group => a.group_name.clone(),
                reasons => a.reasons.iter().map(|r| reason_text(r, lang)).collect::<Vec<_>>(),
            }
        })
        .collect();
    let students: i64 = d.groups.iter().map(|g| g.student_count).sum();
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/dashboard.html",
        context! {
            years => years.iter().map(|(id, name)| context! { id, name, selected => *id == d.academic_year.id }).collect::<Vec<_>>(),
            year => d.academic_year.name.clone(),
            year_id => d.academic_year.id,
            as_of => date_fr(d.as_of),
            window_from => date_fr(d.window_from),
            population => match lang {
                Lang::Fr => format!(
                    "{} · {}",
                    counted(lang, d.groups.len(), "groupe", "groupes"),
                    counted(lang, usize::try_from(students).unwrap_or(0), "alternant·e", "alternant·es")
                ),
                Lang::En => format!(
                    "{} · {}",
                    counted(lang, d.groups.len(), "group", "groups"),
                    counted(lang, usize::try_from(students).unwrap_or(0), "student", "students")
                ),
            },
            rules => rules_text(&d, lang),
            at_risk,
            weekly => weekly_view(&d, lang),
            semesters => semesters_view(&d, lang),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn reasons_read_in_both_languages() {
        let threshold = RiskReason::Threshold {
            semester: crate::domain::semester::Semester::S9,
            threshold: 20,
            missed_hours: 3.5,
            absence_hours: 2.5,
            excused_hours: 1.0,
            planned_hours: 14.0,
            percent: 25.0,
        };
        assert_eq!(
            reason_text(&threshold, Lang::Fr),
            "S9 : 3 h 30 d’absence (dont 1 h justifiées) sur 14 h prévues (25,0\u{a0}%), seuil d’alerte de 20\u{a0}% atteint"
        );
        assert!(
            reason_text(&threshold, Lang::En).starts_with(
                "S9: 3 h 30 absent (1 h of them excused) of 14 h planned (25.0\u{a0}%)"
            )
        );
        let dropout = RiskReason::Dropout {
            from: day("2025-09-15"),
            from_half_day: HalfDay::Afternoon,
            half_days: 4,
        };
        assert_eq!(
            reason_text(&dropout, Lang::Fr),
            "Décrochage : 4 demi-journées d’absence consécutives depuis le 15/09/2025 (après-midi)"
        );
        let low = RiskReason::LowAttendance {
            from: day("2025-08-20"),
            to: day("2025-09-16"),
            rate: 0.75,
            attended_hours: 10.5,
            recorded_hours: 14.0,
        };
        assert!(reason_text(&low, Lang::Fr).starts_with(
            "Présence de 75,0\u{a0}% sur les 4 dernières semaines (du 20/08/2025 au 16/09/2025)"
        ));
        assert!(reason_text(&low, Lang::En).contains("10 h 30 attended of 14 h recorded"));
    }
}
