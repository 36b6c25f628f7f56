//! The people and organisations of a contract: companies, tutors, students, teachers
//! (DOMAIN.md "The contract"; Article 5 for the tutor).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::contracts::company_scope;
use super::{Columns, Filter, Reference, Resource, Scope, UniqueKey};
use crate::auth::Caller;
use crate::domain::siret::Siret;
use crate::domain::text;
use crate::error::{AppResult, Problems};

pub struct Companies;

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Company {
    pub id: i64,
    pub legal_name: String,
    /// 14 digits.
    pub siret: String,
    pub address: String,
    pub phone: String,
    pub representative_name: String,
    pub representative_role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    pub legal_name: String,
    /// 14 digits with a valid Luhn key; spaces are ignored.
    pub siret: String,
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub representative_name: String,
    #[serde(default)]
    pub representative_role: String,
}

impl Resource for Companies {
    const UNIQUE: &'static [UniqueKey] = &[UniqueKey {
        columns: &["siret"],
        field: "siret",
        message: "une entreprise a déjà ce SIRET",
    }];
    const PATH: &'static str = "companies";
    const TABLE: &'static str = "companies";
    const COLUMNS: &'static str =
        "id, legal_name, siret, address, phone, representative_name, representative_role";
    const ORDER_BY: &'static str = "legal_name, id";
    const DESCRIPTION: &'static str = "Entreprises employant les salarié·es en contrat. \
        Un contact entreprise voit la sienne";
    const READ_ROLES: &'static str = "admin, company";
    type Row = Company;
    type Input = CompanyInput;

    fn scope(caller: &Caller) -> AppResult<Option<Scope>> {
        company_scope(caller, "id = {}")
    }

    fn columns(i: &CompanyInput) -> AppResult<Columns> {
        let mut p = Problems::new();
        let legal_name = p.check("legal_name", text::required(&i.legal_name, 200));
        let siret = p.check("siret", Siret::parse(&i.siret));
        let address = p.check("address", text::address(&i.address, 300, true));
        let phone = p.check("phone", text::optional(&i.phone, 40));
        let rep = p.check(
            "representative_name",
            text::optional(&i.representative_name, 200),
        );
        let role = p.check(
            "representative_role",
            text::optional(&i.representative_role, 200),
        );
        p.into_result()?;
        Ok(vec![
            ("legal_name", legal_name.unwrap_or_default().into()),
            (
                "siret",
                siret
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default()
                    .into(),
            ),
            ("address", address.unwrap_or_default().into()),
            ("phone", phone.unwrap_or_default().into()),
            ("representative_name", rep.unwrap_or_default().into()),
            ("representative_role", role.unwrap_or_default().into()),
        ])
    }
}

pub struct Tutors;

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Tutor {
    pub id: i64,
    pub company_id: i64,
    pub last_name: String,
    pub first_name: String,
    /// The tutor's function in the company (Article 5).
    pub function: String,
    pub email: String,
    pub phone: String,
    /// Language of the mail sent to this person: `fr` or `en`.
    pub lang: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TutorInput {
    pub company_id: i64,
    pub last_name: String,
    pub first_name: String,
    #[serde(default)]
    pub function: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    /// `fr` (default) or `en`: the language of their mail.
    #[serde(default = "default_lang")]
    pub lang: String,
}

impl Resource for Tutors {
    const PATH: &'static str = "tutors";
    const TABLE: &'static str = "tutors";
    const COLUMNS: &'static str =
        "id, company_id, last_name, first_name, function, email, phone, lang";
    const ORDER_BY: &'static str = "last_name, first_name, id";
    const FILTERS: &'static [Filter] = &[Filter::Id("company_id", "company_id")];
    const DESCRIPTION: &'static str = "Tuteurs en entreprise (article 5)";
    type Row = Tutor;
    type Input = TutorInput;

    fn columns(i: &TutorInput) -> AppResult<Columns> {
        let mut p = Problems::new();
        let last = p.check("last_name", text::required(&i.last_name, 100));
        let first = p.check("first_name", text::required(&i.first_name, 100));
        let function = p.check("function", text::optional(&i.function, 200));
        let email = p.check("email", text::email(&i.email));
        let phone = p.check("phone", text::optional(&i.phone, 40));
        let lang = p.check("lang", check_lang(&i.lang));
        p.into_result()?;
        Ok(vec![
            ("lang", lang.unwrap_or_default().into()),
            ("company_id", i.company_id.into()),
            ("last_name", last.unwrap_or_default().into()),
            ("first_name", first.unwrap_or_default().into()),
            ("function", function.unwrap_or_default().into()),
            ("email", email.unwrap_or_default().into()),
            ("phone", phone.unwrap_or_default().into()),
        ])
    }

    fn references(i: &TutorInput) -> Vec<Reference> {
        vec![Reference::new("company_id", "companies", i.company_id)]
    }
}

pub struct Students;

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Student {
    pub id: i64,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    pub address: String,
    pub birth_date: NaiveDate,
    pub birth_place: String,
    /// Language of the mail sent to this person: `fr` or `en`.
    pub lang: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StudentInput {
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    #[serde(default)]
    pub address: String,
    pub birth_date: NaiveDate,
    #[serde(default)]
    pub birth_place: String,
    /// `fr` (default) or `en`: the language of their mail.
    #[serde(default = "default_lang")]
    pub lang: String,
}

impl Resource for Students {
    const UNIQUE: &'static [UniqueKey] = &[UniqueKey {
        columns: &["email"],
        field: "email",
        message: "un·e alternant·e a déjà cette adresse",
    }];
    const PATH: &'static str = "students";
    const TABLE: &'static str = "students";
    const COLUMNS: &'static str =
        "id, last_name, first_name, email, address, birth_date, birth_place, lang";
    const ORDER_BY: &'static str = "last_name, first_name, id";
    const DESCRIPTION: &'static str = "Alternant·es (salarié·es en contrat de professionnalisation, apprenti·es). \
        Un contact entreprise voit celles et ceux d’un contrat de son entreprise";
    const READ_ROLES: &'static str = "admin, company";
    type Row = Student;
    type Input = StudentInput;

    fn scope(caller: &Caller) -> AppResult<Option<Scope>> {
        company_scope(
            caller,
            "EXISTS (SELECT 1 FROM contracts c WHERE c.student_id = students.id AND c.company_id = {})",
        )
    }

    fn columns(i: &StudentInput) -> AppResult<Columns> {
        let mut p = Problems::new();
        let last = p.check("last_name", text::required(&i.last_name, 100));
        let first = p.check("first_name", text::required(&i.first_name, 100));
        let email = p.check("email", text::email(&i.email));
        let address = p.check("address", text::address(&i.address, 300, false));
        let place = p.check("birth_place", text::optional(&i.birth_place, 200));
        let lang = p.check("lang", check_lang(&i.lang));
        if i.birth_date > crate::clock::Clock::system().today() {
            p.add("birth_date", "la date de naissance est dans le futur");
        } else if i.birth_date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default() {
            p.add("birth_date", "date de naissance invraisemblable");
        }
        p.into_result()?;
        Ok(vec![
            ("lang", lang.unwrap_or_default().into()),
            ("last_name", last.unwrap_or_default().into()),
            ("first_name", first.unwrap_or_default().into()),
            ("email", email.unwrap_or_default().into()),
            ("address", address.unwrap_or_default().into()),
            ("birth_date", i.birth_date.into()),
            ("birth_place", place.unwrap_or_default().into()),
        ])
    }
}

pub struct Teachers;

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Teacher {
    pub id: i64,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    /// Language of the mail sent to this person: `fr` or `en`.
    pub lang: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeacherInput {
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    /// `fr` (default) or `en`: the language of their mail.
    #[serde(default = "default_lang")]
    pub lang: String,
}

impl Resource for Teachers {
    const UNIQUE: &'static [UniqueKey] = &[UniqueKey {
        columns: &["email"],
        field: "email",
        message: "un·e formateur·rice a déjà cette adresse",
    }];
    const PATH: &'static str = "teachers";
    const TABLE: &'static str = "teachers";
    const COLUMNS: &'static str = "id, last_name, first_name, email, lang";
    const ORDER_BY: &'static str = "last_name, first_name, id";
    const DESCRIPTION: &'static str = "Formateurs et enseignants";
    type Row = Teacher;
    type Input = TeacherInput;

    fn columns(i: &TeacherInput) -> AppResult<Columns> {
        let mut p = Problems::new();
        let last = p.check("last_name", text::required(&i.last_name, 100));
        let first = p.check("first_name", text::required(&i.first_name, 100));
        let email = p.check("email", text::email(&i.email));
        let lang = p.check("lang", check_lang(&i.lang));
        p.into_result()?;
        Ok(vec![
            ("last_name", last.unwrap_or_default().into()),
            ("first_name", first.unwrap_or_default().into()),
            ("email", email.unwrap_or_default().into()),
            ("lang", lang.unwrap_or_default().into()),
        ])
    }
}

fn default_lang() -> String {
    "fr".to_owned()
}

fn check_lang(lang: &str) -> Result<String, String> {
    crate::i18n::Lang::parse(lang)
        .map(|l| l.code().to_owned())
        .ok_or_else(|| format!("langue « {lang} » inconnue : fr ou en"))
}
