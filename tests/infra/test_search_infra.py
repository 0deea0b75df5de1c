"""The search domain and the search functions in the synthesised templates: security, wiring, least privilege."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.search import INDEX_ACTIONS
from infra.resources import APP, SEARCH_INDEX_ALIAS, function, physical_name
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("synth")
WRITE_VERBS = {"es:ESHttpPut", "es:ESHttpDelete"}


def _domain(synth: Synthesized) -> dict[str, Any]:
    (domain,) = synth.resources("search", "AWS::OpenSearchService::Domain").values()
    return dict(domain["Properties"])


def _functions(synth: Synthesized) -> dict[str, dict[str, Any]]:
    prefix = f"{APP}-{synth.stage}-"
    return {
        r["Properties"]["FunctionName"].removeprefix(prefix): {"id": logical_id, **r}
        for logical_id, r in synth.all_resources("AWS::Lambda::Function").items()
    }


def _statements(synth: Synthesized, name: str) -> list[dict[str, Any]]:
    role_id = _functions(synth)[name]["Properties"]["Role"]["Fn::GetAtt"][0]
    found: list[dict[str, Any]] = []
    for policy in synth.all_resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            found += synth.resolve(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def _es_actions(statements: list[dict[str, Any]]) -> set[str]:
    actions: set[str] = set()
    for statement in statements:
        value = statement["Action"]
        actions.update(a for a in ([value] if isinstance(value, str) else value) if a.startswith("es:"))
    return actions


def test_domain_is_opensearch_2_encrypted_https_only_and_logs_slow_queries(stage_synth: Synthesized) -> None:
    # GIVEN the search domain
    props = _domain(stage_synth)
    # THEN it runs OpenSearch 2.x with encryption everywhere, TLS 1.2 and slow/app logs
    assert props["EngineVersion"].startswith("OpenSearch_2.")
    assert props["NodeToNodeEncryptionOptions"] == {"Enabled": True}
    assert props["EncryptionAtRestOptions"] == {"Enabled": True}
    assert props["DomainEndpointOptions"]["EnforceHTTPS"] is True
    assert props["DomainEndpointOptions"]["TLSSecurityPolicy"] == "Policy-Min-TLS-1-2-2019-07"
    assert {"SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS", "ES_APPLICATION_LOGS"} <= set(
        props["LogPublishingOptions"]
    )
    assert all(o["Enabled"] for o in props["LogPublishingOptions"].values())


def test_production_domain_spans_zones_with_dedicated_masters(prod: Synthesized, dev: Synthesized) -> None:
    # GIVEN both stages' domains
    cluster = _domain(prod)["ClusterConfig"]
    # THEN production is zone aware with three dedicated masters; dev is one node
    assert cluster["ZoneAwarenessEnabled"] is True
    assert cluster["DedicatedMasterEnabled"] is True
    assert cluster["DedicatedMasterCount"] == 3
    assert _domain(dev)["ClusterConfig"]["InstanceCount"] == 1
    assert _domain(dev)["ClusterConfig"].get("ZoneAwarenessEnabled") in (None, False)


def test_domain_policy_names_only_the_search_roles_with_their_verbs(stage_synth: Synthesized) -> None:
    # GIVEN the domain's resource policy and the search functions' roles
    policy = _domain(stage_synth)["AccessPolicies"]
    functions = _functions(stage_synth)
    roles = {
        name: functions[name]["Properties"]["Role"]["Fn::GetAtt"][0]
        for name in ("search-api", "search-indexer")
    }
    # THEN every statement names one search role, no wildcard principal, and each role gets its level's verbs
    verbs: dict[str, set[str]] = {name: set() for name in roles}
    for statement in policy["Statement"]:
        principal = json.dumps(statement["Principal"])
        assert '"*"' not in principal
        (name,) = [n for n, role in roles.items() if role in principal]
        actions = statement["Action"]
        verbs[name] |= {actions} if isinstance(actions, str) else set(actions)
    for name, granted in verbs.items():
        assert granted == set(INDEX_ACTIONS[function(name).search_index or ""]), name


def test_the_query_role_posts_only_to_query_endpoints(stage_synth: Synthesized) -> None:
    # GIVEN the search API's role statements and the domain policy's statements for its role
    api_role = _functions(stage_synth)["search-api"]["Properties"]["Role"]["Fn::GetAtt"][0]
    domain = [
        s
        for s in _domain(stage_synth)["AccessPolicies"]["Statement"]
        if api_role in json.dumps(s["Principal"])
    ]
    for statement in _statements(stage_synth, "search-api") + domain:
        actions = statement["Action"]
        if "es:ESHttpPost" not in ([actions] if isinstance(actions, str) else actions):
            continue
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        # THEN a POST (which could _bulk, _delete_by_query or move aliases) reaches only the query paths
        for resource in resources:
            path = json.dumps(resource).rsplit("-search/", 1)[1]
            assert path.split('"')[0] in {
                "products/_search",
                "products/_mget",
                "products/_count",
                "_plugins/_refresh_search_analyzers/products",
            }, path


def test_search_api_reads_the_index_and_the_indexer_writes_it(stage_synth: Synthesized) -> None:
    # GIVEN the search functions' role policies
    api = _statements(stage_synth, "search-api")
    indexer = _statements(stage_synth, "search-indexer")
    # THEN the API may only query (GET/HEAD/POST), the indexer may also PUT and DELETE
    assert _es_actions(api) == {"es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"}
    assert _es_actions(indexer) >= WRITE_VERBS
    # AND es:* is scoped to paths below the one search domain
    for statement in api + indexer:
        if _es_actions([statement]):
            assert f"domain/{APP}-{stage_synth.stage}-search/" in json.dumps(statement["Resource"])
    # AND no other function may touch the domain
    for name in _functions(stage_synth):
        if name not in ("search-api", "search-indexer"):
            assert not _es_actions(_statements(stage_synth, name)), name


def test_search_api_writes_only_the_search_table(stage_synth: Synthesized) -> None:
    # GIVEN the search API's table write statements
    writes = [
        s for s in _statements(stage_synth, "search-api") if "dynamodb:PutItem" in json.dumps(s["Action"])
    ]
    stateful = stage_synth.templates["stateful"]["Resources"]
    tagged = {
        lid: next(t["Value"] for t in r["Properties"]["Tags"] if t["Key"] == "shop:table")
        for lid, r in stateful.items()
        if r["Type"] == "AWS::DynamoDB::Table"
    }
    # THEN the only table it may write is the search table (catalog stays read only)
    text = json.dumps(writes)
    assert [name for lid, name in tagged.items() if lid in text] == ["search"]


def test_indexer_is_fed_by_its_queue_of_catalog_and_stock_events(stage_synth: Synthesized) -> None:
    # GIVEN the event source mappings and the bus rules
    indexer_id = _functions(stage_synth)["search-indexer"]["id"]
    mappings = [
        m["Properties"]
        for m in stage_synth.all_resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": indexer_id}
    ]
    # THEN one mapping on an SQS queue delivers with partial batch failures, and none on the catalog stream
    (mapping,) = mappings
    assert "Stream" not in json.dumps(mapping["EventSourceArn"])
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # AND the rules sending to search's queue carry the catalog's product events and inventory's stock levels
    wanted = {
        physical_name(stage_synth.stage, name)
        for name in ("catalog-products-to-search", "stock-levels-to-search")
    }
    patterns = [
        r["Properties"]["EventPattern"]
        for r in stage_synth.all_resources("AWS::Events::Rule").values()
        if r["Properties"].get("Name") in wanted
    ]
    assert len(patterns) == 2
    assert {source for pattern in patterns for source in pattern["source"]} == {
        "shop.catalog",
        "shop.inventory",
    }


def test_search_api_cannot_read_the_catalog_table(stage_synth: Synthesized) -> None:
    # GIVEN the search API's statements and the tables
    text = json.dumps(_statements(stage_synth, "search-api"))
    stateful = stage_synth.templates["stateful"]["Resources"]
    catalog = [
        lid
        for lid, r in stateful.items()
        if r["Type"] == "AWS::DynamoDB::Table"
        and any(t["Key"] == "shop:table" and t["Value"] == "catalog" for t in r["Properties"]["Tags"])
    ]
    # THEN no statement names the catalog table: search answers from its own index
    assert catalog
    assert not any(lid in text for lid in catalog)


def test_search_functions_get_the_opensearch_environment_and_the_search_layer(
    stage_synth: Synthesized,
) -> None:
    # GIVEN the functions
    functions = _functions(stage_synth)
    (domain_id,) = stage_synth.resources("search", "AWS::OpenSearchService::Domain")
    for name, fn in functions.items():
        env = fn["Properties"]["Environment"]["Variables"]
        layers = [stage_synth.resolve(layer)["Ref"] for layer in fn["Properties"]["Layers"]]
        if name.startswith("search-"):
            # THEN search functions use OpenSearch at the domain's endpoint through the alias
            assert env["SEARCH_ENGINE"] == "opensearch"
            assert env["OPENSEARCH_ENDPOINT"] == {"Fn::GetAtt": [domain_id, "DomainEndpoint"]}
            assert env["SEARCH_INDEX_ALIAS"] == SEARCH_INDEX_ALIAS
            assert any(layer.startswith("SearchLayer") for layer in layers)
        else:
            # AND nobody else carries the search layer or settings
            assert "SEARCH_ENGINE" not in env
            assert not any(layer.startswith("SearchLayer") for layer in layers)
