"""The filter bar's <option> lists, built in Python (templatetags.options): the same HTML as the
template loop they replace, for submitted, missing and foreign values, escaped."""
from django.http import QueryDict
from django.template import Context, Template
import pytest

# The loops the filter bar had (team/developer compare as text; model/project as submitted).
LOOPS = Template(
    "{% for value, label in f.fields.team.choices %}<option value=\"{{ value }}\"{% if f.data.team == value|stringformat:'s' %}"
    " selected{% endif %}>{{ label }}</option>{% endfor %}|{% for value, label in f.fields.model.choices %}"
    "<option value=\"{{ value }}\"{% if f.data.model == value %} selected{% endif %}>{{ label }}</option>{% endfor %}"
)
OPTIONS = Template('{% load options %}{{ f|options:"team" }}|{{ f|options:"model" }}')


class Form:
    def __init__(self, data):
        self.data = data
        self.fields = {
            "team": type("Field", (), {"choices": [("", "Every team"), (1, "Ops <&>"), (12, "Web")]})(),
            "model": type("Field", (), {"choices": [("", "Every model"), ('a"b', "A"), ("claude-opus-4-6", "Opus")]})(),
        }


@pytest.mark.parametrize("query", ["", "team=1", "team=12&model=a%22b", "team=", "team=99", "model=claude-opus-4-6",
                                   "team=1&team=12"])
def test_the_options_are_the_template_loops_html(query):
    for data in (QueryDict(query), dict(QueryDict(query).items())):
        context = {"f": Form(data)}
        assert OPTIONS.render(Context(context)) == LOOPS.render(Context(context))
    assert "Ops &lt;&amp;&gt;" in OPTIONS.render(Context({"f": Form(QueryDict(query))}))
