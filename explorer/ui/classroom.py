"""The lesson bar every page shows during a lesson, and the class page's pieces: start, join, follow, answer.

A browser in a lesson keeps one :class:`~explorer.classroom.play.Play` in its session. Moving to a step opens
the step's page on the step's settings exactly as a bookmarked address does (the page's own choices are dropped,
the step's address is opened). Students follow the class through the room store shared by every replica
(:func:`class_store`): the server's room watcher (:func:`room_watcher`) reruns a following student's bar as soon as
the room changes, and the bar, which also polls the store every two seconds, opens the teacher's step.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import secrets
import time
from collections import Counter

import plotly.graph_objects as go
import segno
import streamlit as st

from explorer import recordings
from explorer.classroom.play import Client, Play, client_address, join_class, move, start_class
from explorer.classroom.store import (
    PRESENT_S,
    AlreadyAnswered,
    RoomError,
    RoomStore,
    StoreUnavailable,
    open_store,
    shown_code,
)
from explorer.classroom.watch import RoomWatcher
from explorer.language import ENGLISH, N_, _, current
from explorer.lessons.answers import ANSWERS
from explorer.lessons.lesson import NOT_IN_LESSONS, Lesson, Question
from explorer.lessons.pages import CLASS_PAGE, page_files
from explorer.ui.common import VIEW, chart, plain, projector, settings_now, timed_fragment
from explorer.ui.delivery import nudge_this_fragment
from explorer.ui.navigation import heading
from explorer.ui.server import run, session_id, settings

PLAY = "class.play"
FOLLOW_EVERY_S = 2.0  # how often a student's browser looks at the teacher's step (the watcher tells it at once)
WATCH_EVERY_S = 2.0  # how often the teacher's browser counts the room and its answers
BROWSER = "class.browser"  # where a session keeps its browser's id
BROWSER_COOKIE = "explorer_browser"
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
ENDED = "class.ended"  # why the class this browser followed ended: said once, on the next page it shows
_PAGE = '[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] > '  # the page's own elements
_FIGURE = ':is(:has(.stPlotlyChart), :has([data-testid="stImage"]))'
# A following student on a phone: the step's title and the lesson bar, then the page's first figure (what the
# teacher is showing), then the rest; the page's settings, which the step sets, are folded away until the student
# explores on their own ("Explore on my own" ends following, and this style with it).
FOLLOWING_ON_A_PHONE_CSS = f"""<style>
@media (max-width: 640px) {{
  {_PAGE}* {{ order: 2; }}
  {_PAGE}:first-child, {_PAGE}:is(.st-key-lesson-bar, :has(.st-key-lesson-bar)) {{ order: 0; }}
  {_PAGE}{_FIGURE}:not({_FIGURE} ~ *) {{ order: 1; }}
  {_PAGE}:is([class*="st-key-widget-"], :has([class*="st-key-widget-"])):not({_FIGURE}) {{ display: none; }}
}}
</style>"""


@st.cache_resource
def class_store() -> RoomStore:
    """This server's room store (``EXPLORER_CLASS_STORE``), shared by every session and every replica."""
    return open_store(settings().class_store, recordings.folder())


@st.cache_resource
def room_watcher() -> RoomWatcher:
    """This server's room watcher: it reruns a following student's bar when the class moves (a follower that has not
    polled for :data:`~explorer.classroom.store.PRESENT_S` is forgotten)."""
    return RoomWatcher(class_store(), forget_after_s=PRESENT_S)


def play() -> Play | None:
    """This browser's lesson, if it is in one."""
    return st.session_state.get(PLAY)


def begin(new: Play) -> None:
    """Enter a lesson (alone, as teacher or as student) and open its current step."""
    st.session_state[PLAY] = new
    go_to_step(new)


def leave() -> None:
    """Leave the lesson; a teacher's class ends with it."""
    current = play()
    if current is not None and current.role == "teacher" and current.code:
        with contextlib.suppress(RoomError):  # a class already gone, or a store down (the room expires on its own)
            class_store().close(current.code, current.secret or "")
    st.session_state.pop(PLAY, None)
    st.query_params.pop("room", None)


def go_to_step(current: Play) -> None:
    """Open ``current``'s step: its page, on its settings. Every choice of this session is set to the step's (the
    projector's excepted) rather than read back from the address, and every widget gets a new key
    (:func:`~explorer.ui.common.widget_key`): a browser that lags behind can send its old address and its widgets'
    old values with its next request, and under load (30 students on 2 cores) did."""
    step = current.current
    st.session_state[VIEW] = st.session_state.get(VIEW, 0) + 1
    for key in [k for k in st.session_state if str(k).startswith("choice.") and k != "choice.projector"]:
        del st.session_state[key]
    for name, value in step.values().items():
        st.session_state[f"choice.{name}"] = value
    address = step.address() | ({"room": current.code} if current.code else {})
    st.switch_page(page_files()[step.page], query_params=address)


def lesson_bar(page: str) -> bool:
    """The lesson bar at the top of page ``page`` (its title in English; nothing outside a lesson, except joining
    the class a ``?room=`` address names); True when the page's results must stay hidden until the step's question
    is revealed."""
    current = play()
    if current is None:
        if (ended := st.session_state.pop(ENDED, None)) is not None:  # on whatever page the student is
            st.warning(plain(ended), icon=":material/event_busy:")
        _join_from_address(page)
        return False
    with st.container(border=True, key="lesson-bar"):
        if current.leads:
            _leader_bar(current, page)
        else:
            _keep_browser_id()
            _follow(page)
    current = play()
    if current is None:
        return False
    question = current.current.question
    on_step = page == current.current.page and (current.leads or current.following)
    hidden = question is not None and on_step and current.step not in current.revealed
    if hidden:
        st.info(_("The page shows its result once the answer is revealed: predict first."), icon=":material/lock:")
    return hidden


def _join_from_address(page: str) -> None:
    """A fresh session whose address names a room (a shared link, or a browser moved to another replica) joins it."""
    code = st.query_params.get("room")
    if not code or st.session_state.get("class.tried") == code:
        return
    st.session_state["class.tried"] = code
    try:
        joined = join_class(class_store(), code, _client())
    except RoomError as error:
        st.query_params.pop("room", None)
        st.error(plain(str(error)), icon=":material/group_off:")
        return
    begin(joined)


def browser_id() -> str:
    """This browser's anonymous id: the one its cookie brought (kept across reloads and tabs), else a new one, which
    :func:`_keep_browser_id` gives the browser to keep."""
    if BROWSER not in st.session_state:
        sent = st.context.cookies.get(BROWSER_COOKIE)
        fits = isinstance(sent, str) and _BROWSER_ID.fullmatch(sent)  # not a str in a script run without a browser
        st.session_state[BROWSER] = sent if fits else secrets.token_urlsafe(16)
    return st.session_state[BROWSER]


def _keep_browser_id() -> None:
    """Have the browser keep :func:`browser_id` in its cookie, when it did not bring it (a line of JavaScript)."""
    if st.context.cookies.get(BROWSER_COOKIE) != (known := browser_id()):
        cookie = f"{BROWSER_COOKIE}={known}; path=/; max-age={365 * 24 * 3600}; samesite=strict"
        with st.sidebar:  # an empty element: out of the lesson bar's way
            st.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)


def _client() -> Client:
    def text(value: object) -> str | None:  # not a str in a script run without a browser
        return value if isinstance(value, str) else None

    peer, forwarded = text(st.context.ip_address), text(st.context.headers.get("X-Forwarded-For"))
    return Client(browser_id(), client_address(peer, forwarded, settings().trusted_proxy))


def join(code: str) -> None:
    """Join the class ``code`` (the class page's form); a RoomError in one line when it cannot be joined."""
    begin(join_class(class_store(), code, _client()))


def start(lesson: Lesson, as_class: bool) -> None:
    """Start ``lesson``: alone (its first step opens), or as a class this browser leads (the class page then shows
    the code and the QR code while the students join; the teacher opens the first step when ready)."""
    if not as_class:
        begin(Play(lesson))
        return
    st.session_state[PLAY] = start_class(class_store(), lesson, settings().class_minutes)
    st.rerun()


def _leader_bar(current: Play, page: str) -> None:
    lesson, step = current.lesson, current.current
    total = len(lesson.steps)
    st.markdown(
        _("**{lesson}** · step {step} of {total}: **{title}**").format(
            lesson=plain(lesson.title), step=current.step + 1, total=total, title=plain(step.title)
        )
    )
    back, forward, jump, end = st.columns([1, 1, 3, 1.4])
    if back.button(_("← Previous"), key="class.previous", disabled=current.step == 0):
        _move(current, current.step - 1)
    if forward.button(_("Next →"), key="class.next", disabled=current.step == total - 1, type="primary"):
        _move(current, current.step + 1)
    names = [f"{i + 1}. {s.title}" for i, s in enumerate(lesson.steps)]
    picked = jump.selectbox(_("Jump to step"), names, index=current.step, key=f"class.jump.{current.step}",
                            label_visibility="collapsed")  # fmt: skip
    if names.index(picked) != current.step:
        _move(current, names.index(picked))
    if end.button(_("End the class") if current.role == "teacher" else _("Leave the lesson"), key="class.leave"):
        leave()
        st.rerun()
    if page == CLASS_PAGE:
        opening = _("Open step {step} ({page})").format(step=current.step + 1, page=plain(heading(step.page)))
        if st.button(opening, key="class.back", type="primary"):
            go_to_step(current)
    elif page != step.page:
        st.warning(
            _("This is not the step's page ({page}).").format(page=plain(heading(step.page))),
            icon=":material/wrong_location:",
        )
        if st.button(_("Back to step {step}").format(step=current.step + 1), key="class.back"):
            go_to_step(current)
    if step.say:  # on a projector the class would read it too: folded away there
        with st.expander(_("Teacher's notes"), expanded=not projector(), key=f"class.notes.{projector()}"):
            st.info(plain(step.say), icon=":material/record_voice_over:")
    if current.role == "teacher":
        _watch(current)
    elif step.question is not None:
        _question(current)


@timed_fragment(WATCH_EVERY_S)
def _watch(current: Play) -> None:
    """The teacher's view of the room: its code, who is in it and following, and the step's answers."""
    code = current.code or ""
    try:
        presence = class_store().presence(code)
        given = class_store().answers(code, current.step)
    except RoomError as error:  # busy for a moment, or the class has ended: said, and asked again in a moment
        st.warning(plain(str(error)), icon=":material/sync_problem:")
        return
    st.markdown(
        _("### Class code **{code}** · {present} in the room, {following} following").format(
            code=shown_code(code), present=presence.present, following=presence.following
        )
    )
    step = current.current
    if step.question is None:
        return
    st.markdown(_("**Question:** {question}").format(question=plain(step.question.text)))
    _histogram(step.question, given)
    if current.step in current.revealed:
        _revealed(current)
    elif st.button(_("Reveal the answer"), key="class.reveal", type="primary"):
        _reveal(current)
        st.rerun(scope="app")


def _histogram(question: Question, given: list[str]) -> None:
    """The class's answers to ``question``: a bar per choice (or per number given), and the same counts in words,
    each choice as the reader's language says it."""
    counts = Counter(given)
    values = list(question.choices) or sorted(counts, key=lambda v: float(v))
    labels = [question.label(value) for value in values]
    words = " · ".join(
        _("{choice}: {count}").format(choice=label, count=counts.get(value, 0))
        for label, value in zip(labels, values, strict=True)
    )
    st.caption(
        _("Answers ({count}): {counts}").format(count=len(given), counts=plain(words) if values else _("none yet"))
    )
    if values:
        figure = go.Figure(go.Bar(x=labels, y=[counts.get(value, 0) for value in values], marker_color="#2171b5"))
        whole = max(1, math.ceil(max(counts.values(), default=0) / 5))  # whole students on the axis
        figure.update_layout(height=260, margin=dict(l=40, r=10, t=10, b=40), xaxis_type="category",
                             yaxis=dict(title=_("students"), dtick=whole, rangemode="tozero"))  # fmt: skip
        chart(figure, key=f"class.answers.{len(given)}")


def _reveal(current: Play) -> None:
    """Compute the step's answer now and reveal it (to the class, through the store)."""
    question = current.current.question
    assert question is not None
    value = run(ANSWERS[question.answer].compute, N_("Computing the answer"))
    if current.role == "teacher" and current.code:
        value = class_store().reveal(current.code, current.secret or "", current.step, value).revealed[current.step]
    current.revealed[current.step] = value


def _revealed(current: Play) -> None:
    question = current.current.question
    assert question is not None
    value = current.revealed[current.step]
    mine = current.answered.get(current.step)
    measures = _(ANSWERS[question.answer].measures)
    st.success(
        _("Measured by the explorer: **{value}** (you said {mine}) — {measures}.").format(
            value=plain(question.label(value)), mine=plain(question.label(mine)), measures=measures
        )
        if mine is not None
        else _("Measured by the explorer: **{value}** — {measures}.").format(
            value=plain(question.label(value)), measures=measures
        ),
        icon=":material/verified:",
    )


def _question(current: Play) -> None:
    """The step's question for one viewer: answer it once, then wait for (or see) the reveal."""
    question = current.current.question
    assert question is not None
    st.markdown(_("**Question:** {question}").format(question=plain(question.text)))
    if current.step in current.refused:  # said until this browser's answer is taken, not only until the next poll
        st.error(plain(current.refused[current.step]), icon=":material/sync_problem:")
    if current.step in current.revealed:
        _revealed(current)
        return
    if current.step in current.answered:
        st.caption(
            _("Your answer is in: {answer}. Wait for the reveal.").format(
                answer=plain(question.label(current.answered[current.step]))
            )
        )
    else:
        key = f"class.answer.{current.step}"
        if question.kind == "choice":
            value = st.radio(
                _("Your answer"),
                list(question.choices),
                index=None,
                key=key,
                horizontal=True,
                format_func=question.label,
            )
        else:
            value = st.number_input(_("Your answer"), value=None, step=1.0, format="%g", key=key)
        if st.button(_("Send my answer"), key=f"{key}.send", disabled=value is None):
            _answer(current, f"{value:g}" if isinstance(value, float) else str(value))
    if current.role == "solo" and st.button(_("Reveal the answer"), key="class.reveal", type="primary"):
        _reveal(current)
        st.rerun()


def _answer(current: Play, value: str) -> None:
    if current.role == "student" and current.code:
        try:
            class_store().answer(current.code, current.step, current.member, value)
        except AlreadyAnswered:  # from this browser before a reload or in another tab: the first answer counts
            value = _("sent earlier from this browser")
        except RoomError as error:
            current.refused[current.step] = str(error)
            st.rerun(scope="app")
    current.refused.pop(current.step, None)
    current.answered[current.step] = value
    st.rerun(scope="app")


def _move(current: Play, step: int) -> None:
    """Move the lesson to ``step`` and open it; when the store does not answer, one line in the bar, which stays."""
    try:
        move(class_store() if current.role == "teacher" else None, current, step)
    except RoomError as error:
        st.error(plain(str(error)), icon=":material/sync_problem:")
        return
    go_to_step(current)


@timed_fragment(FOLLOW_EVERY_S)
def _follow(page: str) -> None:
    """A student's bar: the teacher's step, opened at once while this browser follows; run every two seconds and
    whenever the room watcher says the room changed."""
    current = play()
    if current is None:
        return
    store = class_store()
    try:
        room = store.room(current.code or "")
    except StoreUnavailable as error:  # the room is as it was: this browser asks again in a second
        st.caption(plain(str(error)))
        return
    except RoomError as error:
        st.session_state.pop(PLAY, None)
        st.query_params.pop("room", None)
        st.session_state[ENDED] = str(error)
        st.rerun(scope="app")
    if current.following and not _on_step(current, page):
        current.following = False  # the student changed a setting or opened another page: exploring alone
    with contextlib.suppress(StoreUnavailable):  # presence is counted over 10 s: the next heartbeat makes up for it
        current.tell_store(store, time.time())
    _tell_watcher(current, room.version)
    newly_revealed = current.step in room.revealed and current.step not in current.revealed
    current.revealed = dict(room.revealed)
    if room.version != current.version:
        current.version = room.version
        if current.following and room.step != current.step:
            current.step = room.step
            go_to_step(current)
        if newly_revealed:
            st.rerun(scope="app")
    total = len(current.lesson.steps)
    teacher_step = current.lesson.steps[room.step]
    if current.following:
        st.markdown(
            _("**Following the class {code}** · step {step} of {total}: **{title}**").format(
                code=shown_code(room.code), step=room.step + 1, total=total, title=plain(teacher_step.title)
            )
        )
        if st.button(_("Explore on my own"), key="class.break"):
            current.following = False
            st.rerun(scope="fragment")
    else:
        st.markdown(
            _("**Exploring on your own** · the class {code} is at step {step} of {total}: **{title}**").format(
                code=shown_code(room.code), step=room.step + 1, total=total, title=plain(teacher_step.title)
            )
        )
        if st.button(_("Back to the class"), key="class.rejoin", type="primary"):
            current.following, current.step, current.version = True, room.step, room.version
            go_to_step(current)
    if current.following and current.current.question is not None:
        _question(current)
    # Always drawn, so that the bar's rerun that stops following replaces the style (Streamlit kept an element the
    # fragment's rerun no longer drew, and the page's settings stayed folded).
    st.html(FOLLOWING_ON_A_PHONE_CSS if current.following else "<style></style>")


def _tell_watcher(current: Play, version: int) -> None:
    """A following student's bar asks the room watcher to rerun it when the room changes after ``version`` (the
    version it is about to show); one that explores alone, or is not served by a browser, leaves it alone."""
    nudge = nudge_this_fragment()
    if nudge is None or current.code is None:
        return
    if current.following:
        room_watcher().follow(current.code, session_id(), version, nudge)
    else:
        room_watcher().unfollow(current.code, session_id())


def _on_step(current: Play, page: str) -> bool:
    """Whether this page shows ``current``'s step: the step's page, on the step's settings (taken as so while the
    page is still running). The settings are read from the session, not from the address: a browser that lags
    behind its page can send its old address back with its next request, and under load did (a whole class seemed
    to break away at once)."""
    now = settings_now()
    if page != current.current.page or now is None:
        return page == current.current.page
    return {k: v for k, v in now.items() if k not in NOT_IN_LESSONS} == current.current.address()


def class_link(code: str) -> str:
    """The link students open to join ``code``: this server's address, on the class page (a path from the server's
    root where the page's address is not known, as in a script run without a browser), in the teacher's language
    when it is not English (a student switches with the sidebar's switch)."""
    base = (st.context.url or "").split("?", 1)[0].rsplit("/", 1)[0]
    spoken = current()
    return f"{base}/Class?room={code}" + (f"&lang={spoken}" if spoken != ENGLISH else "")


def qr_png(link: str) -> bytes:
    """A QR code of ``link``, as PNG bytes (drawn here: nothing fetched)."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()
