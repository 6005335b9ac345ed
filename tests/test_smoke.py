def test_declaring_through_the_api_returns_the_reference(api_client, responder):
    response = api_client(responder).call(
        "POST", "/incidents", {"title": "DB down", "severity": "Sev1", "criteria": ["immediate_response"]}
    )
    assert response.status_code == 201, response.content
    assert response.json_body["reference"].startswith("INC-")
    assert response.json_body["severity"] == "critical"
