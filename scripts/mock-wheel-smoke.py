"""Drives the abilita-mock program installed from its wheel, as a Python
pipeline would: start it on free ports, wait for `ready`, read the env file,
make one call per platform, stop it with SIGTERM. Exits non-zero on any
failure. Standard library only."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request


def call(method, url, body=None, headers=None, content_type="application/json"):
    data = None if body is None else body.encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def main(program):
    env_file = os.path.join(tempfile.mkdtemp(), "abilita.env")
    child = subprocess.Popen(
        [program, "--gpd-port", "0", "--io-port", "0", "--anpr-port", "0", "--nodo-port", "0", "--fdr-port", "0", "--checkout-port", "0", "--print-port", "0",
         "--io-default-citizen", "allowed", "--env-file", env_file],
        stdout=subprocess.PIPE, text=True)
    try:
        urls = {}
        for line in child.stdout:
            line = line.strip()
            if line == "ready":
                break
            name, url = line.split(" ", 1)
            urls[name] = url
        assert {"gpd", "io", "pdnd-token", "anpr"} <= urls.keys(), urls
        settings = dict(line.split("=", 1) for line in open(env_file).read().splitlines())
        key = settings["ABILITA_GPD_API_KEY"]

        status, body = call("GET", urls["gpd"].split("/gpd/")[0] + "/health")
        assert status == 200 and json.loads(body)["status"] == "UP", (status, body)

        status, body = call(
            "GET", settings["ABILITA_GPD_URL"] + "/v1/organizations/77777777777/debtpositions",
            headers={"Ocp-Apim-Subscription-Key": key})
        assert status == 200, ("GPD", status, body)

        status, body = call(
            "POST", settings["ABILITA_IO_URL"] + "/profiles",
            body=json.dumps({"fiscal_code": "STTSGT90A01H501J"}),
            headers={"Ocp-Apim-Subscription-Key": settings["ABILITA_IO_API_KEY"]})
        assert status == 200 and json.loads(body)["sender_allowed"] is True, ("IO", status, body)

        status, body = call(
            "POST", settings["ABILITA_PDND_TOKEN_URL"], body="grant_type=client_credentials",
            content_type="application/x-www-form-urlencoded")
        assert status == 400, ("PDND refuses a request without a client assertion", status, body)

        with open(settings["ABILITA_PDND_PRIVATE_KEY_FILE"]) as key_file:
            assert key_file.read().startswith("-----BEGIN PRIVATE KEY-----")
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            raise
    print("abilita-mock from its wheel: GPD, IO and PDND answered; 4 passed, 0 failed")


if __name__ == "__main__":
    main(sys.argv[1])
