//! The OpenAPI 3 document: annotated handlers describe themselves; the generic CRUD
//! resources are described here from their row and input types.

use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    AllOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::error::ErrorBody;
use crate::http::crud::{Filter, Resource};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "assidu",
        description = "Assiduité, attestations et facturation des contrats en alternance (professionnalisation, apprentissage). \
            Authentification : `POST /api/v1/auth/login` puis `Authorization: Bearer TOKEN`. \
            Les erreurs sont en JSON : `{\"error\", \"message\", \"fields\"}`."
    ),
    servers((url = "/api/v1")),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

/// Declares the bearer scheme used by every protected operation.
pub fn add_security(api: &mut OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
}

fn register<T: ToSchema>(api: &mut OpenApi) -> Ref {
    let mut schemas = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut schemas);
    let components = api.components.get_or_insert_with(Default::default);
    components.schemas.extend(schemas);
    Ref::from_schema_name(T::name())
}

fn json_response(description: &str, schema: impl Into<RefOr<Schema>>) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(schema)))
}

fn error(description: &str) -> ResponseBuilder {
    json_response(description, Ref::from_schema_name(ErrorBody::name()))
}

fn id_parameter() -> ParameterBuilder {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(i64::schema()))
}

fn admin_operation<R: Resource>(summary: &str, id: &str) -> OperationBuilder {
    operation::<R>(summary, id, "admin")
}

fn operation<R: Resource>(summary: &str, id: &str, roles: &str) -> OperationBuilder {
    let refused = if roles == "admin" {
        "Réservé aux administrateurs".to_owned()
    } else {
        format!("Réservé aux rôles : {roles}")
    };
    OperationBuilder::new()
        .tag(R::PATH)
        .summary(Some(summary))
        .description(Some(format!("{}.\n\nRôle : {roles}.", R::DESCRIPTION)))
        .operation_id(Some(format!("{id}_{}", R::PATH.replace('-', "_"))))
        .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
        .response("401", error("Authentification requise"))
        .response("403", error(&refused))
}

/// Adds `GET/POST /{path}` and `GET/PUT /{path}/{id}` of a resource.
pub fn document<R: Resource>(api: &mut OpenApi) {
    let row = register::<R::Row>(api);
    let input = register::<R::Input>(api);
    let page = ObjectBuilder::new()
        .property("items", ArrayBuilder::new().items(row.clone()))
        .required("items")
        .property("total", ObjectBuilder::new().schema_type(Type::Integer))
        .required("total")
        .property("limit", ObjectBuilder::new().schema_type(Type::Integer))
        .required("limit")
        .property("offset", ObjectBuilder::new().schema_type(Type::Integer))
        .required("offset");
    let body = || {
        RequestBodyBuilder::new()
            .required(Some(Required::True))
            .content("application/json", Content::new(Some(input.clone())))
            .build()
    };
    let mut list = operation::<R>("Liste paginée", "list", R::READ_ROLES)
        .response("200", json_response("Une page", page))
        .response("422", error("Filtre invalide"));
    for param in ["limit", "offset"] {
        list = list.parameter(
            ParameterBuilder::new()
                .name(param)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .schema(Some(i64::schema())),
        );
    }
    for filter in R::FILTERS {
        let (name, schema) = match filter {
            Filter::Id(name, _) => (name, i64::schema()),
            Filter::From(name, _) | Filter::To(name, _) => (
                name,
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
                    .into(),
            ),
        };
        list = list.parameter(
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .schema(Some(schema)),
        );
    }
    // The record created, with what the office should know about it (a session in the past).
    let created = AllOfBuilder::new().item(row.clone()).item(
        ObjectBuilder::new()
            .property(
                "warnings",
                ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)),
            )
            .required("warnings"),
    );
    let create = admin_operation::<R>("Création", "create")
        .request_body(Some(body()))
        .response(
            "201",
            json_response("Créé, avec ses avertissements", created),
        )
        .response("400", error("JSON mal formé"))
        .response("422", error("Données invalides, champ par champ"));
    let read = operation::<R>("Lecture", "read", R::READ_ROLES)
        .parameter(id_parameter())
        .response("200", json_response("L’enregistrement", row.clone()))
        .response("404", error("Introuvable"));
    let update = admin_operation::<R>("Mise à jour (remplacement complet)", "update")
        .parameter(id_parameter())
        .request_body(Some(body()))
        .response("200", json_response("Mis à jour", row))
        .response("400", error("JSON mal formé"))
        .response("404", error("Introuvable"))
        .response("422", error("Données invalides, champ par champ"));

    let mut collection = PathItem::new(HttpMethod::Get, list.build());
    collection.merge_operations(PathItem::new(HttpMethod::Post, create.build()));
    let mut item = PathItem::new(HttpMethod::Get, read.build());
    item.merge_operations(PathItem::new(HttpMethod::Put, update.build()));
    api.paths.paths.insert(format!("/{}", R::PATH), collection);
    api.paths.paths.insert(format!("/{}/{{id}}", R::PATH), item);
}

/// The document as served: every response described (OpenAPI 3.1 requires a description),
/// and every hours number of an answer beside its minutes twin, as [`super::hours`] writes
/// them.
pub fn finish(api: &OpenApi) -> serde_json::Value {
    let mut doc = serde_json::to_value(api).unwrap_or_default();
    describe_responses(&mut doc);
    add_minute_twins(&mut doc);
    doc
}

/// What a response of this status means, when its operation does not say.
fn default_description(status: &str) -> String {
    match status {
        "200" => "Réponse",
        "201" => "Créé",
        "202" => "Accepté",
        "204" => "Fait, sans contenu",
        "400" => "Requête mal formée",
        "401" => "Authentification requise",
        "403" => "Rôle ou contrat ne donnant pas accès",
        "404" => "Introuvable (ou invisible pour l’appelant)",
        "409" => "Conflit avec l’état actuel",
        "413" => "Corps trop volumineux",
        "415" => "Type de contenu refusé",
        "422" => "Données invalides, champ par champ",
        "429" => "Trop de tentatives (voir `Retry-After`)",
        "503" => "Service momentanément indisponible",
        other => return format!("Réponse {other}"),
    }
    .to_owned()
}

fn operations(doc: &mut serde_json::Value) -> impl Iterator<Item = &mut serde_json::Value> {
    doc.get_mut("paths")
        .and_then(|p| p.as_object_mut())
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.iter_mut())
        .filter(|(method, _)| {
            ["get", "put", "post", "delete", "patch", "head", "options"].contains(&method.as_str())
        })
        .map(|(_, op)| op)
}

fn describe_responses(doc: &mut serde_json::Value) {
    for op in operations(doc) {
        let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            let Some(response) = response.as_object_mut() else {
                continue;
            };
            let missing = response
                .get("description")
                .and_then(|d| d.as_str())
                .is_none_or(str::is_empty);
            if missing {
                response.insert("description".to_owned(), default_description(status).into());
            }
        }
    }
}

/// The schemas named by `$ref` anywhere in `value`.
fn refs_in(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => {
                        if let Some(name) = r.strip_prefix("#/components/schemas/") {
                            out.push(name.to_owned());
                        }
                    }
                    _ => refs_in(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// Adds the `*_minutes` twin of every `*_hours` number property of the schemas answers use
/// (request bodies keep their hours alone: the inputs accept decimal hours).
fn add_minute_twins(doc: &mut serde_json::Value) {
    let mut answered = Vec::new();
    for op in operations(doc) {
        if let Some(responses) = op.get_mut("responses") {
            refs_in(responses, &mut answered);
            twin_properties(responses);
        }
    }
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    else {
        return;
    };
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = answered.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = schemas.get(&name) {
            refs_in(schema, &mut answered);
        }
    }
    for name in seen {
        if let Some(schema) = schemas.get_mut(&name) {
            twin_properties(schema);
        }
    }
}

fn is_number_schema(schema: &serde_json::Value) -> Option<bool> {
    match schema.get("type")? {
        serde_json::Value::String(t) if t == "number" => Some(false),
        serde_json::Value::Array(types)
            if types.iter().any(|t| t == "number")
                && types.iter().all(|t| t == "number" || t == "null") =>
        {
            Some(true)
        }
        _ => None,
    }
}

fn twin_properties(schema: &mut serde_json::Value) {
    use serde_json::{Value, json};
    match schema {
        Value::Object(map) => {
            let mut added = Vec::new();
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                let mut twins = Vec::new();
                for (name, property) in properties.iter_mut() {
                    let (Some(twin), Some(nullable)) =
                        (super::hours::minutes_key(name), is_number_schema(property))
                    else {
                        continue;
                    };
                    let said = property
                        .get("description")
                        .and_then(|d| d.as_str())
                        .map(|d| format!("{d}\n\n"))
                        .unwrap_or_default();
                    property["description"] = format!(
                        "{said}Heures décimales arrondies à 2 décimales ; la valeur exacte est `{twin}`."
                    )
                    .into();
                    let kind = if nullable {
                        json!(["integer", "null"])
                    } else {
                        json!("integer")
                    };
                    twins.push((
                        twin,
                        json!({
                            "type": kind,
                            "format": "int64",
                            "description": format!("`{name}` en minutes entières (exact)."),
                        }),
                    ));
                }
                for (twin, property) in twins {
                    if !properties.contains_key(&twin) {
                        added.push(twin.clone());
                        properties.insert(twin, property);
                    }
                }
            }
            if let Some(Value::Array(required)) = map.get_mut("required") {
                let names: Vec<String> = required
                    .iter()
                    .filter_map(|r| r.as_str())
                    .filter_map(super::hours::minutes_key)
                    .filter(|twin| added.contains(twin))
                    .collect();
                required.extend(names.into_iter().map(Value::from));
            }
            for (key, v) in map.iter_mut() {
                if key != "properties" {
                    twin_properties(v);
                }
            }
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                properties.values_mut().for_each(twin_properties);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(twin_properties),
        _ => {}
    }
}
