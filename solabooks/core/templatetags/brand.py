"""{% brand_css_variables organization %}: the CSS custom properties of a business's brand
colour for a page's <style> (see solabooks.core.colours)."""

from django import template

from solabooks.core.colours import as_text_on_light, brand_colour_of, text_on

register = template.Library()


@register.simple_tag
def brand_css_variables(organization) -> str:
    colour = brand_colour_of(organization)
    # Only #rrggbb values reach this string (brand_colour_of), so it is safe in a <style>.
    return f"--brand: {colour}; --brand-ink: {text_on(colour)}; --brand-text: {as_text_on_light(colour)};"
