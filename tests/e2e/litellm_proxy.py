"""A real LiteLLM proxy for the tests: mocked models (``mock_response``, no network), the
``governance.integrations.litellm`` callbacks, on 127.0.0.1; and the requests sent to it."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.e2e.litellm_env import ROOT

# model_name -> LiteLLM model; llama is self-hosted: LiteLLM has no price, the ledger does.
MODELS = {
    "gpt-4o": "openai/gpt-4o",
    "gpt-4o-mini": "openai/gpt-4o-mini",
    "llama-3.1-70b": "hosted_vllm/llama-3.1-70b",
    "claude-sonnet-4-5": "anthropic/claude-sonnet-4-5",
    "claude-haiku-4-5": "anthropic/claude-haiku-4-5",
    "gemini-2.5-pro": "gemini/gemini-2.5-pro",
    "gemini-2.0-flash": "gemini/gemini-2.0-flash",
}
# The proxy's own fallback for llama is a paid premium model (LiteLLM#41344's shape): the hook
# must keep a request of a downgraded category from getting round its directive through it.
STATIC_FALLBACKS = [{"llama-3.1-70b": ["gpt-4o"]}]
CALLBACKS = (
    "from governance.integrations.litellm import GovernanceRouting\n\n"
    "governance = GovernanceRouting.from_environment()\n"
)


def config_yaml() -> str:
    """The proxy's config.yaml (JSON is YAML)."""
    model_list = [
        {
            "model_name": name,
            "litellm_params": {
                "model": model,
                "api_key": "sk-mock-not-a-key",
                "api_base": "http://127.0.0.1:9/v1",  # never reached: every answer is mocked
                "mock_response": f"an answer from {name}",
            },
        }
        for name, model in MODELS.items()
    ]
    return json.dumps(
        {
            "model_list": model_list,
            "router_settings": {"fallbacks": STATIC_FALLBACKS, "num_retries": 0},
            "litellm_settings": {"callbacks": ["custom_callbacks.governance"]},
        },
        indent=2,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Proxy:
    """``litellm --config`` from its own virtual environment, logging to ``directory``."""

    def __init__(self, python: Path, directory: Path, environ: dict[str, str]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.yaml").write_text(config_yaml())
        (directory / "custom_callbacks.py").write_text(CALLBACKS)
        self.port = free_port()
        self.log = directory / "proxy.log"
        # Its own environment: none of the test process's hooks (its venv lacks their tools).
        base = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_TEST")}
        env = {
            **base,
            "PYTHONPATH": str(ROOT),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch of the price map
            **environ,
        }
        command = [str(python.parent / "litellm"), "--config", str(directory / "config.yaml"),
                   "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                command, cwd=directory, env=env, stdout=sink, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            assert code is None, f"the proxy exited {code}:\n{self.output()[-4000:]}"
            try:
                if self.request("GET", "/health/liveliness")[0] == 200:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"the proxy never answered:\n{self.output()}"
            time.sleep(0.25)

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            payload = None if body is None else json.dumps(body)
            headers = {"Content-Type": "application/json", "User-Agent": "governance-e2e/1"}
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            answer = {k.lower(): v for k, v in response.getheaders()}
            return response.status, response.read(), answer
        finally:
            conn.close()

    def deployments(self) -> dict[str, str]:
        """Each deployment's id (``x-litellm-model-id``) and its ``model_name``."""
        status, raw, _ = self.request("GET", "/model/info")
        assert status == 200, raw
        return {m["model_info"]["id"]: m["model_name"] for m in json.loads(raw)["data"]}

    def chat(self, body: dict[str, Any]) -> tuple[int, str | None]:
        """POST a chat completion (a stream is read whole): its status and the deployment
        that answered (LiteLLM names the requested model in the body, whoever served)."""
        status, _, headers = self.request("POST", "/v1/chat/completions", body)
        return status, headers.get("x-litellm-model-id") if status == 200 else None

    def __enter__(self) -> Proxy:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
