//! Between a console form and the API's JSON: a value as a list or an input shows it, a
//! posted form read as the API's body, and the form's fields for the template.

use std::collections::HashMap;

use minijinja::context;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::{Choice, Field, Kind, form_value};
use crate::error::{AppError, AppResult, FieldError};
use crate::format;
use crate::http::extract::parse_json;
use crate::i18n::Lang;

/// A value as the list shows it, in French conventions.
pub(super) fn shown(
    kind: Kind,
    v: &Json,
    choices: &HashMap<&str, Vec<Choice>>,
    name: &str,
    lang: Lang,
) -> String {
    match (kind, v) {
        (_, Json::Null) => String::new(),
        (Kind::Date, Json::String(s)) => s.parse().map_or_else(|_| s.clone(), format::date),
        (Kind::Time, Json::String(s)) => s.get(..5).unwrap_or(s).to_owned(),
        (Kind::Bool, Json::Bool(b)) => lang.text(if *b { "yes" } else { "no" }).to_owned(),
        (Kind::Euros, Json::Number(n)) => n
            .as_i64()
            .map(|c| format!("{} €", format::euros(c)))
            .unwrap_or_default(),
        (Kind::Hours, Json::Number(n)) => n.as_f64().map(format::short_hours).unwrap_or_default(),
        (Kind::Ref(..), Json::Number(n)) => {
            let id = n.to_string();
            choices
                .get(name)
                .and_then(|c| c.iter().find(|c| c.value == id))
                .map_or(id, |c| c.label.clone())
        }
        (_, Json::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// A value as the form's input holds it.
pub(super) fn in_input(kind: Kind, v: &Json) -> String {
    match (kind, v) {
        (_, Json::Null) => String::new(),
        (Kind::Time, Json::String(s)) => s.get(..5).unwrap_or(s).to_owned(),
        (Kind::Euros, Json::Number(n)) => n
            .as_i64()
            .map(|c| format!("{},{:02}", c / 100, (c % 100).abs()))
            .unwrap_or_default(),
        (Kind::Hours, Json::Number(n)) => n.as_f64().map(format::short_hours).unwrap_or_default(),
        (Kind::Bool, Json::Bool(b)) => if *b { "on" } else { "" }.to_owned(),
        (_, Json::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// "4 500,50", "4500.5", "4500 €" → cents.
pub(super) fn parse_euros(raw: &str) -> Option<i64> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (units, cents) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if units.is_empty() || !units.bytes().all(|b| b.is_ascii_digit()) || cents.len() > 2 {
        return None;
    }
    if !cents.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    units.checked_mul(100)?.checked_add(cents)
}

/// Turns the posted form into the API's JSON body; what cannot even be read is a field error.
pub(super) fn form_to_json(
    fields: &[Field],
    form: &[(String, String)],
) -> Result<Json, Vec<FieldError>> {
    let mut body = Map::new();
    let mut problems = Vec::new();
    for f in fields {
        let raw = form_value(form, f.name);
        if let Kind::Bool = f.kind {
            body.insert(f.name.to_owned(), Json::Bool(!raw.is_empty()));
            continue;
        }
        if raw.is_empty() {
            match f.kind {
                // The API says what an empty text lacks, with its other findings.
                Kind::Text | Kind::LongText | Kind::Email if f.required => {
                    body.insert(f.name.to_owned(), Json::String(String::new()));
                }
                _ if f.required => {
                    problems.push(FieldError::new(f.name, "ce champ est obligatoire"))
                }
                _ => {}
            }
            continue;
        }
        let value = match f.kind {
            Kind::Ref(..) => raw
                .parse::<i64>()
                .map(Json::from)
                .map_err(|_| "choix invalide"),
            Kind::Hours => raw
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .and_then(|h| serde_json::Number::from_f64(h).map(Json::Number))
                .ok_or("nombre d’heures attendu (par exemple 270 ou 262,5)"),
            Kind::Euros => parse_euros(raw)
                .map(Json::from)
                .ok_or("montant en euros attendu (par exemple 4 500,00)"),
            Kind::Integer => raw
                .trim()
                .parse::<i64>()
                .map(Json::from)
                .map_err(|_| "nombre entier attendu"),
            _ => Ok(Json::String(raw.to_owned())),
        };
        match value {
            Ok(v) => {
                body.insert(f.name.to_owned(), v);
            }
            Err(message) => problems.push(FieldError::new(f.name, message)),
        }
    }
    if problems.is_empty() {
        Ok(Json::Object(body))
    } else {
        Err(problems)
    }
}

/// The API's input read from the posted form (as its JSON body would be), or the problems
/// by field.
pub(super) fn form_input<T: serde::de::DeserializeOwned>(
    fields: &[Field],
    form: &[(String, String)],
) -> AppResult<Result<T, Vec<FieldError>>> {
    let body = match form_to_json(fields, form) {
        Ok(body) => body,
        Err(problems) => return Ok(Err(problems)),
    };
    let bytes = serde_json::to_vec(&body).map_err(|e| AppError::Internal(e.into()))?;
    match parse_json::<T>(&bytes) {
        Ok(input) => Ok(Ok(input)),
        Err(AppError::Validation(problems)) => Ok(Err(problems)),
        Err(AppError::BadRequest(m)) => Ok(Err(vec![FieldError::new("body", m)])),
        Err(e) => Err(e),
    }
}

/// A stored record's values as its form's inputs hold them.
pub(super) fn stored_values<T: Serialize>(
    fields: &[Field],
    record: &T,
) -> AppResult<HashMap<String, String>> {
    let row = serde_json::to_value(record).map_err(|e| AppError::Internal(e.into()))?;
    Ok(fields
        .iter()
        .map(|f| (f.name.to_owned(), in_input(f.kind, &row[f.name])))
        .collect())
}

/// The form's fields for the template, each with its value and problems, and the problems
/// that name no field.
pub(super) fn form_fields(
    fields: &[Field],
    choices: &HashMap<&'static str, Vec<Choice>>,
    values: &HashMap<String, String>,
    problems: &[FieldError],
    lang: Lang,
) -> (Vec<minijinja::Value>, Vec<String>) {
    let error_of = |name: &str| {
        problems
            .iter()
            .filter(|p| p.field == name || p.field.starts_with(&format!("{name}.")))
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    let shown: Vec<_> = fields
        .iter()
        .map(|f| {
            let value = values.get(f.name).cloned().unwrap_or_default();
            let (input, options) = match f.kind {
                Kind::Ref(..) => ("select", choices.get(f.name).map(|c| {
                    c.iter()
                        .map(|c| context! { value => c.value.clone(), label => c.label.clone(), selected => c.value == value })
                        .collect::<Vec<_>>()
                })),
                Kind::Lang => ("select", Some(
                    [("fr", "Français"), ("en", "English")]
                        .iter()
                        .map(|(v, l)| context! { value => *v, label => *l, selected => *v == value || (value.is_empty() && *v == "fr") })
                        .collect(),
                )),
                Kind::LongText => ("textarea", None),
                Kind::Bool => ("checkbox", None),
                Kind::Date => ("date", None),
                Kind::Time => ("time", None),
                Kind::Email => ("email", None),
                Kind::Hours | Kind::Euros => ("decimal", None),
                Kind::Integer => ("number", None),
                Kind::Text => ("text", None),
            };
            let checked = !value.is_empty();
            context! {
                name => f.name,
                label => lang.text(&format!("f_{}", f.name)),
                input,
                options,
                value,
                checked,
                required => f.required,
                error => error_of(f.name),
                hint => match f.kind {
                    Kind::Euros => lang.text("hint_euros"),
                    Kind::Hours => lang.text("hint_hours"),
                    _ => "",
                },
            }
        })
        .collect();
    let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
    let general: Vec<String> = problems
        .iter()
        .filter(|p| {
            !known
                .iter()
                .any(|k| p.field == *k || p.field.starts_with(&format!("{k}.")))
        })
        .map(|p| p.message.clone())
        .collect();
    (shown, general)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::console::{opt, req};

    #[test]
    fn euros_are_read_the_french_way() {
        assert_eq!(parse_euros("4 500,50"), Some(450_050));
        assert_eq!(parse_euros("4500.5"), Some(450_050));
        assert_eq!(parse_euros("4\u{a0}500 €"), Some(450_000));
        assert_eq!(parse_euros("0,05"), Some(5));
        for bad in ["", "4,505", "-3", "abc", "1,2,3", ",50"] {
            assert_eq!(parse_euros(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_form_becomes_the_api_body_and_unreadable_values_name_their_field() {
        let fields = [
            req("name", Kind::Text),
            opt("room", Kind::Text),
            req("hours", Kind::Hours),
            opt("price", Kind::Euros),
            opt("done", Kind::Bool),
            req("group_id", Kind::Ref("t", "name")),
        ];
        let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let body = form_to_json(
            &fields,
            &form(&[
                ("name", " A "),
                ("room", ""),
                ("hours", "262,5"),
                ("price", "12,30"),
                ("group_id", "4"),
            ]),
        )
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "A", "hours": 262.5, "price": 1230, "done": false, "group_id": 4})
        );
        let problems =
            form_to_json(&fields, &form(&[("hours", "beaucoup"), ("group_id", "x")])).unwrap_err();
        let named: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        // An empty required text goes to the API, which says what it lacks with the rest.
        assert_eq!(named, ["hours", "group_id"]);
        let problems = form_to_json(&fields, &form(&[("name", "A"), ("hours", "3")])).unwrap_err();
        assert_eq!(problems[0].field, "group_id");
        assert_eq!(problems[0].message, "ce champ est obligatoire");
    }
}
