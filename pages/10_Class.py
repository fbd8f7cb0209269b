"""Class: start a lesson (alone or as a class the students follow) or join one by its code."""

import streamlit as st

from explorer import catalogue
from explorer.errors import UserError
from explorer.language import _, ngettext
from explorer.lesions import nets
from explorer.lessons.lesson import MAX_LESSON_BYTES, parse_lesson, shipped_lessons
from explorer.ui import classroom, common, frame, lesions

with frame.page("Class"):
    current = classroom.play()
    if current is not None and current.role == "teacher" and current.code:
        link = classroom.class_link(current.code)
        left, right = st.columns([2, 1])
        left.markdown(f"# {classroom.shown_code(current.code)}")
        left.markdown(
            _("Students open **{link}** or the Class page and type the code.").format(link=common.plain(link))
        )
        left.caption(_("Students who join see the class's step at once; the bar above opens it for you."))
        right.image(
            classroom.qr_png(link),
            caption=_("scan to join"),
            width=420 if common.projector() else 260,
            alt=_("QR code of the class link {link}").format(link=link),
        )
    elif current is not None:
        st.info(
            _("You are in the lesson **{lesson}**: the bar above leads it.").format(
                lesson=common.plain(current.lesson.title)
            )
        )
    else:
        start, join = st.columns(2)
        with start:
            st.header(_("Start a lesson"))
            lessons = shipped_lessons()
            picked = st.selectbox(
                _("Lesson"), list(lessons), format_func=lambda k: str(lessons[k].title), key="class.lesson"
            )
            upload = st.file_uploader(
                _("…or your own lesson file (TOML, up to {size} KB)").format(size=MAX_LESSON_BYTES // 1024),
                type=["toml"],
                key="class.upload",
                max_upload_size=1,  # MB: the smallest Streamlit takes; parse_lesson refuses more than the limit
            )
            try:
                lesson = parse_lesson(upload.getvalue().decode("utf-8"), upload.name) if upload else lessons[picked]
            except (UserError, UnicodeDecodeError) as error:
                common.show_error(error)
                st.stop()
            st.caption(
                ngettext(
                    "**{lesson}** · {count} step. {summary}",
                    "**{lesson}** · {count} steps. {summary}",
                    len(lesson.steps),
                ).format(
                    lesson=common.plain(lesson.title), count=len(lesson.steps), summary=common.plain(lesson.summary)
                )
            )
            if upload is not None and (missing := lesson.untranslated()):  # as `python -m explorer lesson` warns
                st.caption(_("Not translated: {missing}").format(missing=common.plain("; ".join(missing))))
            for pair in lesson.trained_pairs():
                if not nets.ready(pair):  # trained once, now, so that no step of the class waits for them
                    st.caption(
                        _(
                            "Steps of this lesson use the nets “{nets}”, trained here once: train them now, before "
                            "the class."
                        ).format(nets=common.plain(catalogue.pair(pair).name))
                    )
                    lesions.trained_pair(pair)
            alone, together = st.columns(2)
            if alone.button(_("Play it alone"), key="class.alone"):
                classroom.start(lesson, as_class=False)
            if together.button(_("Start a class"), key="class.start", type="primary"):
                classroom.start(lesson, as_class=True)
        with join:
            st.header(_("Join a class"))
            code = st.text_input(_("Class code"), placeholder="ABCD-EFGH", key="class.code", max_chars=20)
            if st.button(_("Join"), key="class.join", disabled=not code):
                classroom.join(code)
