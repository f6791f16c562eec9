"""The dbt project as Dagster assets; dbt tests become asset checks."""

from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from .dbt_project import ensure_manifest, dbt_project

ensure_manifest()


class MomentsTranslator(DagsterDbtTranslator):
    """Groups follow the model folders (staging / intermediate / marts); seeds get their own."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=MomentsTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def moments_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


MART_KEYS = [spec.key for spec in moments_dbt_assets.specs if spec.group_name == "marts"]
