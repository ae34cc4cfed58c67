"""Every caption of the Snakemake report renders clean: docutils reads them as reStructuredText, where
``|W|`` or ``<|m|>`` are substitution references ("Undefined substitution referenced") unless quoted."""

import io
from pathlib import Path

import pytest
from docutils.core import publish_parts

REPORT = Path(__file__).resolve().parents[1] / "workflow" / "report"
CAPTIONS = sorted(p for p in REPORT.glob("*.rst") if p.name != "workflow.rst")  # workflow.rst: Jinja, tested
#                                                                                 in tests/workflow


def test_every_figure_and_the_claims_have_a_caption():
    names = {p.stem for p in CAPTIONS}
    assert {"claims", "fig1", "fig7", "rbm_fig1", "rbm_fig6", "rbm_lth"} <= names


@pytest.mark.parametrize("caption", CAPTIONS, ids=lambda p: p.name)
def test_caption_renders_without_a_system_message(caption):
    messages = io.StringIO()
    html = publish_parts(caption.read_text(), writer="html",
                         settings_overrides={"warning_stream": messages, "report_level": 1})["html_body"]
    assert messages.getvalue() == "" and "system-message" not in html, messages.getvalue()


def test_a_bare_absolute_value_would_be_caught():
    """The check itself: the caption text that broke the report is reported."""
    messages = io.StringIO()
    publish_parts("width ~ |W|, colour = sign", writer="html", settings_overrides={"warning_stream": messages})
    assert "Undefined substitution" in messages.getvalue()
