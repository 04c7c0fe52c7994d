"""The few web pages people see while installing and connecting: plain, escaped, one message each."""

from __future__ import annotations

from html import escape

from core.i18n import current_language

_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:36rem;margin:4rem auto;"
    "padding:0 1rem;color:#1d1c1d;line-height:1.5}h1{font-size:1.5rem}.bx{display:inline-block;"
    "background:#1d3b57;color:#fff;border-radius:4px;padding:0 .35em;font-weight:700;margin-right:.3em}"
    "a.button{display:inline-block;background:#1d3b57;color:#fff;padding:.6em 1.1em;border-radius:6px;"
    "text-decoration:none}.problem{border-left:4px solid #c0392b;padding-left:1rem}"
)


def page(
    title: str, paragraphs: list[str], *, link: tuple[str, str] | None = None, problem: bool = False
) -> str:
    """A page with a title, paragraphs of plain text (escaped here) and at most one button link."""
    body = "".join(f"<p>{escape(text)}</p>" for text in paragraphs)
    if problem:
        body = f'<div class="problem">{body}</div>'
    if link is not None:
        label, url = link
        body += f'<p><a class="button" id="next" href="{escape(url, quote=True)}">{escape(label)}</a></p>'
    return (
        f'<!DOCTYPE html><html lang="{current_language.get()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · bxhours</title><style>{_STYLE}</style></head>"
        f'<body><h1><span class="bx">BX</span>{escape(title)}</h1>{body}</body></html>'
    )
