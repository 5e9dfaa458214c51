"""Requests the portal sends DfE, and a transport that records them instead of reaching DfE."""

import json

import httpx

from dfe.client import DfeClient

BASE_URL = "https://sandbox.register-npq.education.gov.uk"
TOKEN = "lp-token-7f3a9c2e-never-log-me"
APPLICATION_ID = "d0b4a32e-a272-489e-b30a-cb17131457fc"
PARTICIPANT_ID = "7a8fef46-3c43-42c0-b3d5-1ba5904ba562"
DECLARATION_ID = "db3a7848-7308-4879-942a-c4a70ced400a"
DELIVERY_PARTNER_ID = "524df095-f9bf-4f9d-ba4c-772545a99e60"


def declaration_body(**attributes) -> dict:
    """A started declaration for a 2025 Senior Leadership place, with the hub as partner."""
    return {
        "data": {
            "type": "participant-declaration",
            "attributes": {
                "participant_id": PARTICIPANT_ID,
                "declaration_type": "started",
                "declaration_date": "2025-10-06T09:00:00Z",
                "course_identifier": "npq-senior-leadership",
                "delivery_partner_id": DELIVERY_PARTNER_ID,
                **attributes,
            },
        }
    }


class Recorder:
    """An httpx transport answering from a list of responses, keeping every request it gets."""

    def __init__(self, *responses: httpx.Response | Exception):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self.responses.pop(0) if self.responses else httpx.Response(200, json={})
        if isinstance(response, Exception):
            raise response
        return response

    def client(self, **kwargs) -> DfeClient:
        self.sleeps: list[float] = []
        return DfeClient(
            BASE_URL,
            TOKEN,
            transport=httpx.MockTransport(self),
            sleep=self.sleeps.append,
            **kwargs,
        )

    def bodies(self) -> list:
        return [
            json.loads(request.content) if request.content else None for request in self.requests
        ]
