"""Files in the formats agencies attach, built in code, each holding one resident ID and one mobile."""

import io
import tarfile
import zipfile
from pathlib import Path

ID = "11010519491231002X"
MOBILE = "13912345678"
LINE = f"联系人：张三，身份证号 {ID}，手机 {MOBILE}。"
FIXTURES = Path(__file__).parent / "fixtures"


def zipped(members, *, method=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def odt(text=LINE):
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        f"<text:h>公示</text:h><text:p>联系人：<text:span>{text}</text:span></text:p>"
        "</office:text></office:body></office:document-content>"
    )
    return zipped({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": content})


def ods():
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        '<table:table table:name="名单"><table:table-row><table:table-cell><text:p>姓名</text:p></table:table-cell>'
        "</table:table-row><table:table-row><table:table-cell><text:p>张三</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="2"/>'
        f"<table:table-cell><text:p>{ID}</text:p></table:table-cell>"
        f"<table:table-cell><text:p>{MOBILE}</text:p></table:table-cell></table:table-row>"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    return zipped({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": content})


def ofd():
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    page = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}><ofd:Content><ofd:Layer ID="1">'
        '<ofd:TextObject ID="2" Boundary="10 10 100 5" Font="3" Size="3.5">'
        '<ofd:TextCode X="0" Y="3">联系人：张三，身份证号</ofd:TextCode></ofd:TextObject>'
        f'<ofd:TextObject ID="4" Boundary="10 20 100 5" Font="3" Size="3.5"><ofd:TextCode X="0" Y="3">{ID[:9]}'
        f'</ofd:TextCode><ofd:TextCode X="30" Y="3">{ID[9:]}</ofd:TextCode></ofd:TextObject>'
        f'<ofd:TextObject ID="5" Boundary="10 30 100 5" Font="3" Size="3.5"><ofd:TextCode X="0" Y="3">手机 {MOBILE}'
        "</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"
    )
    return zipped({
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" DocType="OFD"><ofd:DocBody>'
                   "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}><ofd:Pages>'
                              '<ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        "Doc_0/Pages/Page_0/Content.xml": page,
    })  # fmt: skip


def rtf():
    gbk = "".join(f"\\'{b:02x}" for b in "联系人：张三，身份证号".encode("gbk"))
    return (
        "{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0\\fnil\\fcharset134 SimSun;}}\\f0 "
        f"{gbk} {ID}\\par \\u25163?\\u26426? {MOBILE}\\par}}"
    ).encode("ascii")


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def png(lines=(f"ID {ID}", f"TEL {MOBILE}")):
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1400, 100 + 90 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=48)
    for number, line in enumerate(lines):
        draw.text((40, 40 + 90 * number), line, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue(), image


def image_only_pdf():
    _, image = png()
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=150)
    return buffer.getvalue()
