"""Small Word (.docx) files written by the tests: paragraphs with the properties the importer reads
(style, font, bold, alignment), an image, and hostile archives."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Default Extension="png" ContentType="image/png"/>
<Default Extension="emf" ContentType="image/x-emf"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>"""
PACKAGE_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
</Relationships>"""
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="{W}">
<w:style w:type="paragraph" w:default="1" w:styleId="a"><w:name w:val="Normal"/>{{normal_font}}</w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="a"/></w:style>
<w:style w:type="paragraph" w:styleId="1"><w:name w:val="Заголовок 1"/><w:basedOn w:val="a"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="21"><w:name w:val="Tiêu đề phụ"/><w:basedOn w:val="1"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Caption"><w:name w:val="caption"/><w:basedOn w:val="a"/></w:style>
</w:styles>"""


@dataclass
class Para:
    """One paragraph: its text, and how Word would mark it."""

    text: str
    style: str = ""            # a styleId of STYLES ("Title", "1", "21", "Caption")
    bold: bool = False
    right: bool = False
    font: str = ""             # a run font (".VnTime" for TCVN3 text)
    image: bool = False        # the paragraph holds the document's image (text is its alt)


def _run(text: str, bold: bool, font: str) -> str:
    props = ""
    if bold or font:
        props = "<w:rPr>" + (f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}"/>' if font else "") + \
                ("<w:b/>" if bold else "") + "</w:rPr>"
    return f'<w:r>{props}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def _image_run(alt: str) -> str:
    return (
        '<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        '<wp:extent cx="952500" cy="952500"/>'
        f'<wp:docPr id="1" name="Picture 1" descr="{escape(alt, {chr(34): "&quot;"})}"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="0" name="image.png"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip xmlns:r="{R}" r:embed="rIdImage"/></pic:blipFill>'
        '<pic:spPr/></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>')


def docx(paragraphs: list[Para], image: bytes | None = None, image_name: str = "media/image1.png",
         created: str = "2020-06-09T02:00:00Z", normal_font: str = "", extra: dict[str, bytes] | None = None,
         compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The bytes of a .docx holding `paragraphs` (and `image`, at `image_name` inside word/)."""
    body = []
    for p in paragraphs:
        props = ""
        if p.style or p.right:
            props = "<w:pPr>" + (f'<w:pStyle w:val="{p.style}"/>' if p.style else "") + \
                    ('<w:jc w:val="right"/>' if p.right else "") + "</w:pPr>"
        runs = _image_run(p.text) if p.image else _run(p.text, p.bold, p.font)
        body.append(f"<w:p>{props}{runs}</w:p>")
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W}" xmlns:r="{R}">'
                f"<w:body>{''.join(body)}</w:body></w:document>")
    rels = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">']
    if image is not None:
        rels.append('<Relationship Id="rIdImage" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    f'relationships/image" Target="{image_name}"/>')
    rels.append("</Relationships>")
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created></cp:coreProperties>')
    font = f'<w:rPr><w:rFonts w:ascii="{normal_font}" w:hAnsi="{normal_font}"/></w:rPr>' if normal_font else ""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("word/document.xml", document)
        archive.writestr("word/styles.xml", STYLES.replace("{normal_font}", font))
        archive.writestr("word/_rels/document.xml.rels", "".join(rels))
        archive.writestr("docProps/core.xml", core)
        if image is not None:
            archive.writestr(f"word/{image_name}", image)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()
