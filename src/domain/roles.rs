//! The four roles of DOMAIN.md "The people". The funder (OPCO) has no login.

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
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Teacher, Role::Student, Role::Tutor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Teacher => "teacher",
            Role::Student => "student",
            Role::Tutor => "tutor",
        }
    }

    /// The record a user of this role is linked to, if any.
    pub fn linked_table(self) -> Option<&'static str> {
        match self {
            Role::Admin => None,
            Role::Teacher => Some("teachers"),
            Role::Student => Some("students"),
            Role::Tutor => Some("tutors"),
        }
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
            other => Err(format!(
                "rôle inconnu « {other} » (attendu : admin, teacher, student ou tutor)"
            )),
        }
    }
}
