"""The mix of issue 14, for locust (run by ``bench/load_benchmark.py``, which seeds the tenant
and writes the JSON this reads).

Twenty users: eight interviewers (open the kit, open the form, autosave twice, submit, then
the next interview still owing a scorecard), five hiring-manager readers (pipeline, loop
summaries, compare), three recruiters in the admin (loop list, loop change page) and four
API clients (scorecard and loop lists, by token). ``HealthzUser`` alone is the floor.

Everyone signs in with a session or token made by the seed, never through the login form.
Requests carry ``X-Forwarded-Proto: https``, as from the TLS proxy production settings
expect, and posts the CSRF cookie, header and same-origin Referer a browser would send.

Environment: ``LOOPWISE_LOAD_DATA`` (the JSON), ``LOOPWISE_LOAD_THINK`` (``0``: no think
time; otherwise 1-3 s between requests), ``LOOPWISE_LOAD_SEATS`` (``i/n``: this run takes
every n-th owed seat from the i-th, so the runs of one benchmark never submit one twice).
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, between, constant, task
from locust.exception import StopUser

DATA: dict[str, Any] = json.loads(Path(os.environ["LOOPWISE_LOAD_DATA"]).read_text())
CSRF: str = DATA["csrf"]
WAIT = constant(0) if os.environ.get("LOOPWISE_LOAD_THINK", "1") == "0" else between(1, 3)
_first, _step = (int(n) for n in os.environ.get("LOOPWISE_LOAD_SEATS", "0/1").split("/"))
SEATS: Iterator[list[Any]] = iter(DATA["seats"][_first::_step])
_users = count()
TITLE = re.compile(rb"<title>\s*(.*?)\s*</title>", re.S | re.I)


def first_line(body: bytes | None) -> str:
    """What a failure's body says, in one line: its <title> for a page, else its first line."""
    body = body or b""
    title = TITLE.search(body[:4000])
    if title:
        return title.group(1).decode(errors="replace")[:160]
    lines = [line for line in body[:4000].decode(errors="replace").splitlines() if line.strip()]
    return lines[0][:160] if lines else "(empty body)"


class Visitor(FastHttpUser):
    abstract = True
    wait_time = WAIT

    def on_start(self) -> None:
        self.number = next(_users)
        self.rng = random.Random(self.number)

    def call(
        self,
        method: str,
        path: str,
        name: str,
        *,
        expect: int = 200,
        session: str | None = None,
        token: str | None = None,
        form: dict[str, str] | None = None,
    ) -> None:
        headers = {"X-Forwarded-Proto": "https"}
        if session is not None:
            headers["Cookie"] = f"sessionid={session}; csrftoken={CSRF}"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = CSRF
            headers["Referer"] = f"https://{urlsplit(str(self.host)).netloc}{path}"
            body = urlencode(form)
        with self.client.request(
            method,
            path,
            name=name,
            data=body,
            headers=headers,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code == expect:
                response.success()
            else:
                response.failure(f"{response.status_code}: {first_line(response.content)}")
        # Each call says who it is; nothing a response set may follow the next one.
        self.client.cookiejar.clear()


class HealthzUser(Visitor):
    @task
    def healthz(self) -> None:
        self.call("GET", "/healthz", "GET /healthz")


class Interviewer(Visitor):
    """One interview owing a scorecard after another: kit, form, two autosaves, submit."""

    fixed_count = 8
    STEPS = ("kit", "form", "autosave", "autosave", "submit")

    def on_start(self) -> None:
        super().on_start()
        self.step = 0
        self.session, self.interview = "", 0

    def scorecard(self, action: str) -> dict[str, str]:
        form = {"based_on": "0", "action": action, "key_takeaways": "Clear, structured thinker."}
        for pk in DATA["dimensions"]:
            rating = self.rng.randint(1, 4)
            form[f"rating_{pk}"] = str(rating)
            form[f"evidence_{pk}"] = f"Rated {rating}: what the candidate said and did."
        form["overall_recommendation"] = self.rng.choice(["strong_no", "no", "yes", "strong_yes"])
        return form

    @task
    def next_step(self) -> None:
        if self.step == 0:
            try:
                self.session, self.interview = next(SEATS)
            except StopIteration:
                raise StopUser() from None
        base = f"/interviews/{self.interview}"
        step = self.STEPS[self.step]
        if step == "kit":
            self.call("GET", f"{base}/kit/", "GET kit", session=self.session)
        elif step == "form":
            self.call("GET", f"{base}/scorecard/", "GET scorecard form", session=self.session)
        elif step == "autosave":
            self.call(
                "POST",
                f"{base}/scorecard/draft/",
                "POST kit autosave",
                session=self.session,
                form=self.scorecard(""),
            )
        else:
            self.call(
                "POST",
                f"{base}/scorecard/",
                "POST scorecard submit",
                expect=302,
                session=self.session,
                form=self.scorecard("submit"),
            )
        self.step = (self.step + 1) % len(self.STEPS)


class Manager(Visitor):
    """The hiring manager of twenty requisitions (4,498 loops)."""

    fixed_count = 5
    me = DATA["manager"]

    @task(2)
    def pipeline(self) -> None:
        self.call("GET", "/manager/", "GET /manager/", session=self.me["session"])

    @task(5)
    def loop_summary(self) -> None:
        loop = self.rng.choice(self.me["loops"])
        self.call("GET", f"/manager/loops/{loop}/", "GET loop summary", session=self.me["session"])

    @task(1)
    def compare(self) -> None:
        requisition = self.rng.choice(self.me["requisitions"])
        path = f"/manager/requisitions/{requisition}/compare/"
        self.call("GET", path, "GET compare", session=self.me["session"])


class Recruiter(Visitor):
    """The recruiter of thirty requisitions, in the admin."""

    fixed_count = 3
    me = DATA["recruiter"]

    @task(2)
    def loop_list(self) -> None:
        self.call("GET", "/admin/hiring/loop/", "GET admin loop list", session=self.me["session"])

    @task(3)
    def loop_change(self) -> None:
        loop = self.rng.choice(self.me["loops"])
        path = f"/admin/hiring/loop/{loop}/change/"
        self.call("GET", path, "GET admin loop change", session=self.me["session"])


class ApiClient(Visitor):
    """An integration reading with its token (two recruiters', two managers')."""

    fixed_count = 4

    def on_start(self) -> None:
        super().on_start()
        self.token = DATA["tokens"][self.number % len(DATA["tokens"])]

    @task
    def scorecards(self) -> None:
        self.call("GET", "/api/v1/scorecards/", "GET /api/v1/scorecards/", token=self.token)

    @task
    def loops(self) -> None:
        self.call("GET", "/api/v1/loops/", "GET /api/v1/loops/", token=self.token)
