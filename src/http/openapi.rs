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
        .response("200", json_response("L'enregistrement", row.clone()))
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
