"""Endpoints over two versions of a model: deploy v1, then v2 at 10 %
(v1 shrinks to 90 %), 2,000 Predict calls serve v2 within 10 % ± 3 points,
a routing key sticks to one version, a split not summing to 100 is refused
naming the sum, RollbackEndpoint restores the previous split, undeploy and
roll back again; a deleted version cannot be deployed and a deployed one
cannot be deleted; ListEndpoints filters and pages; every endpoint answer
carries per-deployment request counts."""

import collections

import grpc
import pytest

import models_e2e as me

CALLS = 2000


@pytest.fixture(scope="module")
def versions(server, channel):
    """Model "ab": v1 gbdt, v2 logistic regression (different probabilities,
    so a prediction shows which version served it)."""
    me.train_and_wait(channel, me.train_request("ab"), server)
    me.train_and_wait(channel, me.train_request("ab", algorithm="logistic_regression"), server)
    return me.ok(channel, "GetModel", model_id="ab", server=server)


@pytest.fixture(scope="module")
def row():
    feats, _ = me.feature_rows(me.data_path())
    return feats[0]


def split_of(ep):
    return dict(ep.traffic_split)


def deployments(ep):
    return {d.deployment_id: d for d in ep.deployments}


def serve_counts(channel, n, row, routing_key=None):
    counts = collections.Counter()
    for i in range(n):
        key = routing_key(i) if callable(routing_key) else routing_key
        resp = me.ok(channel, "Predict", me.predict_request(endpoint_id="ep", rows=[row], routing_key=key))
        p = resp.predictions[0]
        assert resp.endpoint_id == "ep" and p.deployment_id == f"ab@{p.model_version}", resp
        counts[p.model_version] += 1
    return counts


@pytest.fixture(scope="module")
def endpoint(server, channel, versions):
    ep = me.ok(channel, "CreateEndpoint", endpoint_id="ep", display_name="A/B", labels={"team": "e2e"},
               server=server)
    assert ep.endpoint_id == "ep" and not ep.deployments and not ep.traffic_split, ep
    ep1 = me.ok(channel, "DeployModel", endpoint_id="ep", model_id="ab@1", traffic_percent=100, server=server)
    ep2 = me.ok(channel, "DeployModel", endpoint_id="ep", model_id="ab@2", traffic_percent=10, server=server)
    return {"created": ep, "v1": ep1, "v2": ep2}


def test_deploy_makes_a_90_10_split(endpoint):
    ep1, ep2 = endpoint["v1"], endpoint["v2"]
    assert split_of(ep1) == {"ab@1": 100}, ep1
    assert split_of(ep2) == {"ab@1": 90, "ab@2": 10}, ep2
    assert ep2.revision > ep1.revision > endpoint["created"].revision, (ep1.revision, ep2.revision)
    deps = deployments(ep2)
    assert deps["ab@2"].model_id == "ab" and deps["ab@2"].model_version == 2 and deps["ab@2"].endpoint_id == "ep"
    assert {k: d.traffic_percent for k, d in deps.items()} == split_of(ep2), "deployments disagree with the split"


def test_2000_requests_follow_the_split(server, channel, endpoint, row):
    before = deployments(me.ok(channel, "ListEndpoints", server=server).endpoints[0])
    counts = serve_counts(channel, CALLS, row)
    share = counts[2] / CALLS
    assert set(counts) == {1, 2}, counts
    assert 0.07 <= share <= 0.13, f"v2 served {counts[2]} of {CALLS} ({share:.1%}), want 10% ± 3 points"
    # Per-deployment statistics count exactly these requests.
    eps = me.ok(channel, "ListEndpoints", server=server).endpoints
    after = deployments([e for e in eps if e.endpoint_id == "ep"][0])
    for v in (1, 2):
        d = f"ab@{v}"
        grown = after[d].stats.predictions_total - before[d].stats.predictions_total
        assert grown == counts[v], f"{d}: stats grew by {grown}, it served {counts[v]}"
        assert after[d].stats.errors_total == 0 and after[d].stats.latency_p99_ms > 0, after[d].stats
        assert after[d].stats.latency_p99_ms >= after[d].stats.latency_p50_ms, after[d].stats


def test_a_routing_key_sticks_to_one_version(channel, endpoint, row):
    seen = {}
    for key in (f"user-{i}" for i in range(200)):
        counts = serve_counts(channel, 3, row, routing_key=key)
        assert len(counts) == 1, f"routing key {key} was served by {dict(counts)}"
        seen[key] = next(iter(counts))
    tally = collections.Counter(seen.values())
    assert set(tally) == {1, 2}, f"200 keys all went to one version: {tally}"
    assert 0.03 <= tally[2] / 200 <= 0.2, tally


def test_split_not_summing_to_100_is_refused_naming_the_sum(server, channel, endpoint):
    rev = me.ok(channel, "ListEndpoints", server=server).endpoints[0].revision
    req = me.new("UpdateTrafficSplitRequest", endpoint_id="ep")
    req.traffic_split["ab@1"] = 50
    req.traffic_split["ab@2"] = 30
    me.expect_error(channel, "UpdateTrafficSplit", grpc.StatusCode.INVALID_ARGUMENT, "80", "100", request=req)
    ep = me.ok(channel, "ListEndpoints", server=server).endpoints[0]
    assert ep.revision == rev and split_of(ep) == {"ab@1": 90, "ab@2": 10}, "a refused split changed the endpoint"


def test_split_then_rollback_restores_the_previous_split(server, channel, endpoint, row):
    req = me.new("UpdateTrafficSplitRequest", endpoint_id="ep")
    req.traffic_split["ab@1"] = 0
    req.traffic_split["ab@2"] = 100
    ep = me.ok(channel, "UpdateTrafficSplit", req, server=server)
    assert split_of(ep) == {"ab@1": 0, "ab@2": 100}
    assert serve_counts(channel, 30, row) == {2: 30}
    back = me.ok(channel, "RollbackEndpoint", endpoint_id="ep", server=server)
    assert split_of(back) == {"ab@1": 90, "ab@2": 10}, back
    assert back.revision > ep.revision, "a rollback is a new revision"
    counts = serve_counts(channel, 200, row)
    assert counts[1] > counts[2] > 0, counts


def test_undeploy_then_rollback(server, channel, endpoint, row):
    ep = me.ok(channel, "UndeployModel", endpoint_id="ep", deployment_id="ab@1", server=server)
    assert split_of(ep) == {"ab@2": 100} and list(deployments(ep)) == ["ab@2"], ep
    assert serve_counts(channel, 20, row) == {2: 20}
    back = me.ok(channel, "RollbackEndpoint", endpoint_id="ep", server=server)
    assert split_of(back) == {"ab@1": 90, "ab@2": 10}, back
    me.expect_error(channel, "RollbackEndpoint", grpc.StatusCode.INVALID_ARGUMENT, "revision",
                    endpoint_id="ep", revision=back.revision)


def test_deployed_version_cannot_be_deleted(channel, endpoint):
    me.expect_error(channel, "DeleteModelVersion", grpc.StatusCode.FAILED_PRECONDITION, "ab@1", "ep",
                    model_id="ab", version=1)


def test_deploying_a_deleted_version_fails(server, channel, endpoint):
    job = me.train_and_wait(channel, me.train_request("ab", algorithm="logistic_regression"), server)
    assert job.model_version == 3
    me.ok(channel, "DeleteModelVersion", model_id="ab", version=3, server=server)
    res = me.rpc(channel, "DeployModel", endpoint_id="ep", model_id="ab@3", traffic_percent=10)
    assert res.code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION), res
    assert "deleted" in res.details and "ab" in res.details and "3" in res.details, res.details
    ep = me.ok(channel, "ListEndpoints", server=server).endpoints[0]
    assert "ab@3" not in split_of(ep), ep


def test_list_endpoints_filters_and_pages(server, channel, endpoint):
    me.ok(channel, "CreateEndpoint", endpoint_id="empty-ep", server=server)
    all_eps = me.ok(channel, "ListEndpoints", server=server)
    assert [e.endpoint_id for e in all_eps.endpoints] == ["empty-ep", "ep"], all_eps
    ep = all_eps.endpoints[1]
    assert ep.display_name == "A/B" and dict(ep.labels) == {"team": "e2e"}, ep
    first = me.ok(channel, "ListEndpoints", page_size=1, server=server)
    assert [e.endpoint_id for e in first.endpoints] == ["empty-ep"] and first.next_page_token, first
    second = me.ok(channel, "ListEndpoints", page_size=1, page_token=first.next_page_token, server=server)
    assert [e.endpoint_id for e in second.endpoints] == ["ep"] and not second.next_page_token, second
    serving_ab = me.ok(channel, "ListEndpoints", model_id="ab", server=server)
    assert [e.endpoint_id for e in serving_ab.endpoints] == ["ep"], serving_ab
    assert not me.ok(channel, "ListEndpoints", model_id="other", server=server).endpoints


def test_model_status_lists_the_deployments(server, channel, endpoint):
    st = me.ok(channel, "GetModelStatus", model_id="ab", server=server)
    deps = {d.deployment_id: d for d in st.deployments}
    assert set(deps) == {"ab@1", "ab@2"} and {d.endpoint_id for d in deps.values()} == {"ep"}, st.deployments
    assert deps["ab@1"].traffic_percent == 90 and deps["ab@2"].traffic_percent == 10
    assert st.prediction_stats.predictions_total >= CALLS, st.prediction_stats
    m = me.ok(channel, "GetModel", model_id="ab", server=server)
    assert list(me.version_of(m, 1).endpoint_ids) == ["ep"] and list(me.version_of(m, 2).endpoint_ids) == ["ep"]


def test_endpoint_errors(channel, endpoint, row):
    me.expect_error(channel, "CreateEndpoint", grpc.StatusCode.ALREADY_EXISTS, "ep", endpoint_id="ep")
    me.expect_error(channel, "DeployModel", grpc.StatusCode.NOT_FOUND, "nope", endpoint_id="nope",
                    model_id="ab@1")
    me.expect_error(channel, "DeployModel", grpc.StatusCode.ALREADY_EXISTS, "ab@2", endpoint_id="ep",
                    model_id="ab@2", traffic_percent=5)
    me.expect_error(channel, "DeployModel", grpc.StatusCode.INVALID_ARGUMENT, "traffic_percent", "101",
                    endpoint_id="ep", model_id="ab@1", traffic_percent=101)
    res = me.rpc(channel, "Predict", me.predict_request(endpoint_id="empty-ep", rows=[row]))
    assert res.code == grpc.StatusCode.FAILED_PRECONDITION and "empty-ep" in res.details, res
    res = me.rpc(channel, "Predict", me.predict_request(endpoint_id="nope", rows=[row]))
    assert res.code == grpc.StatusCode.NOT_FOUND and "nope" in res.details, res
    me.expect_error(channel, "UndeployModel", grpc.StatusCode.NOT_FOUND, "ab@9", endpoint_id="ep",
                    deployment_id="ab@9")


def test_deploying_an_alias_fixes_the_version(server, channel, endpoint, row):
    """DeployModel resolves "model@alias" once; moving the alias later does
    not move the deployment."""
    me.ok(channel, "CreateEndpoint", endpoint_id="ep-alias", server=server)
    me.ok(channel, "SetModelAlias", model_id="ab", alias="production", version=1, server=server)
    ep = me.ok(channel, "DeployModel", endpoint_id="ep-alias", model_id="ab@production", server=server)
    assert split_of(ep) == {"ab@1": 100}, ep
    me.ok(channel, "SetModelAlias", model_id="ab", alias="production", version=2, server=server)
    for _ in range(5):
        p = me.ok(channel, "Predict", me.predict_request(endpoint_id="ep-alias", rows=[row])).predictions[0]
        assert p.model_version == 1 and p.deployment_id == "ab@1", p
    me.ok(channel, "SetModelAlias", model_id="ab", alias="production", version=0, server=server)
