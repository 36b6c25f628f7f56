//! The roles of DOMAIN.md "The people", and the company's HR contacts (issue 19). The
//! funder (OPCO) has no login.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// School staff (service contrats de professionnalisation).
    Admin,
    /// Takes the roll call of the sessions they teach.
    Teacher,
    /// The employee-student.
    Student,
    /// The company tutor (Article 5).
    Tutor,
    /// A company's HR contact: every contract of their company, never another's.
    Company,
}

/// The record an account is linked to, as its role says: at most one is set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Links {
    pub teacher_id: Option<i64>,
    pub student_id: Option<i64>,
    pub tutor_id: Option<i64>,
    pub company_id: Option<i64>,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Teacher,
        Role::Student,
        Role::Tutor,
        Role::Company,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Teacher => "teacher",
            Role::Student => "student",
            Role::Tutor => "tutor",
            Role::Company => "company",
        }
    }

    /// The record a user of this role is linked to, if any.
    pub fn linked_table(self) -> Option<&'static str> {
        match self {
            Role::Admin => None,
            Role::Teacher => Some("teachers"),
            Role::Student => Some("students"),
            Role::Tutor => Some("tutors"),
            Role::Company => Some("companies"),
        }
    }

    /// The links of an account of this role belonging to record `link`.
    pub fn links(self, link: Option<i64>) -> Links {
        let mut links = Links::default();
        match self {
            Role::Admin => {}
            Role::Teacher => links.teacher_id = link,
            Role::Student => links.student_id = link,
            Role::Tutor => links.tutor_id = link,
            Role::Company => links.company_id = link,
        }
        links
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "teacher" => Ok(Role::Teacher),
            "student" => Ok(Role::Student),
            "tutor" => Ok(Role::Tutor),
            "company" => Ok(Role::Company),
            other => Err(format!(
                "rôle inconnu « {other} » (attendu : admin, teacher, student, tutor ou company)"
            )),
        }
    }
}
