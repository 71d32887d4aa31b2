"""What the print service's OpenAPI file says in words but not in its
schema, given to schemathesis before it reads the file: `templateId` is
"the template identifier. Use the appropriate GET service to retrieve the
list of the ids", so a valid request names one of the templates the service
lists (the simulator lists pagoPA's four). Loaded through SCHEMATHESIS_HOOKS
by mock-servers/tests/it/openapi.rs."""

import schemathesis

TEMPLATES = [
    "TemplateSingleInstalment",
    "TemplateSingleInstalmentPoste",
    "TemplateInstalments",
    "TemplateInstalmentsPoste",
]


@schemathesis.hook
def before_load_schema(context, raw_schema):
    item = raw_schema["components"]["schemas"]["NoticeGenerationRequestItem"]
    item["properties"]["templateId"]["enum"] = TEMPLATES
