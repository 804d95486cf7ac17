"""{% load options %}: `{{ form|options:"field" }}` renders the <option> elements of a form's choice
field in Python: the filter bar's developer list is one option a developer (2,000 in a large org),
which the template engine took tens of ms to loop over on every page. The same HTML, escaped the same
way (``html.escape``, which Django's ``escape`` wraps, called here without its lazy-text wrapper), the
submitted value (``form.data``) selected."""
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def options(form, name: str) -> SafeString:
    """<option value="v">label</option> for each (value, label) of the field's choices, ``selected``
    on the one whose value as text equals the submitted value (none when nothing was submitted)."""
    chosen = form.data.get(name)
    chosen = None if chosen is None else str(chosen)
    return mark_safe("".join(
        f'<option value="{escape(str(value))}"{" selected" if chosen is not None and str(value) == chosen else ""}>'
        f"{escape(str(label))}</option>"
        for value, label in form.fields[name].choices
    ))
