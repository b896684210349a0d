from django import template

from citesmart.surveys.queries import center_results

register = template.Library()


@register.inclusion_tag("surveys/_center_results.html")
def survey_results(center):
    """The center's published survey figures (aggregates above the minimum only)."""
    return {"rows": center_results(center.code), "center": center}
