"""The paper-list template an official downloads, fills and imports.

Row 1 names each column in English (what the import reads) and Hindi, like
"name / नाम"; the import takes the part before " / ". Coded columns offer
their allowed values as drop-down lists, the district's blocks, towns,
villages and wards are on a second sheet (and offered in the drop-downs), and
a third sheet says what each code means, in both languages.
"""

import io

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from districts.models import District, Locality

from .models import Gender, IdType, PriorityGroup, RationCard
from .resources import RegistrationImportResource

# The rows the drop-downs and formats cover: far more than a paper list has.
ROWS = 5000

HINDI = {
    "name": _("Name"),
    "gender": _("Gender"),
    "birth_year": _("Year of birth"),
    "id_type": _("Photo ID type"),
    "id_number": _("Photo ID number"),
    "mobile": _("Mobile number"),
    "no_mobile_reason": _("Why there is no mobile"),
    "priority": _("Priority group"),
    "ration_card": _("Ration card"),
    "district": _("District"),
    "block_or_town": _("Block or town"),
    "village_or_ward": _("Village or ward"),
    "address": _("Address"),
    "pincode": _("PIN code"),
    "registered_on": _("Registered on"),
}


def columns() -> list[str]:
    return list(RegistrationImportResource._meta.fields)


def workbook(district: District) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "list"
    with translation.override("hi"):
        headers = [f"{column} / {HINDI[column]}" for column in columns()]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = max(len(cell.value) + 2, 14)
    sheet.freeze_panes = "A2"
    areas, villages = _places_sheet(book, district)
    _codes_sheet(book)
    for column, rule in _rules(district, areas, villages).items():
        _validate(sheet, column, rule)
    _as_text(sheet, "registered_on")
    _as_text(sheet, "id_number")
    _as_text(sheet, "mobile")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _letter(column: str) -> str:
    return get_column_letter(columns().index(column) + 1)


def _places_sheet(book: Workbook, district: District) -> tuple[str, str]:
    """The district's places; returns the ranges of areas and of villages."""
    sheet = book.create_sheet("places")
    sheet.append(["block_or_town", "", "village_or_ward / गाँव या वार्ड", "in block_or_town"])
    areas = list(district.areas.order_by("kind", "name_en"))
    places = Locality.objects.filter(area__district=district).select_related("area")
    places = sorted(places, key=lambda p: (p.area.name_en, p.name))
    for n in range(max(len(areas), len(places))):
        area = areas[n].name_en if n < len(areas) else None
        place = places[n] if n < len(places) else None
        sheet.append(
            [area, None, str(place) if place else None, place.area.name_en if place else None]
        )
    for letter, width in (("A", 28), ("C", 40), ("D", 28)):
        sheet.column_dimensions[letter].width = width
    return f"places!$A$2:$A${len(areas) + 1}", f"places!$C$2:$C${len(places) + 1}"


def _codes_sheet(book: Workbook) -> None:
    sheet = book.create_sheet("codes")
    sheet.append(["column", "value", "meaning", "अर्थ"])
    coded = (
        ("gender", Gender),
        ("id_type", IdType),
        ("priority", PriorityGroup),
        ("ration_card", RationCard),
    )
    for column, choices in coded:
        for value, label in choices.choices:
            with translation.override("hi"):
                hindi = str(label)
            with translation.override("en"):
                english = str(label)
            sheet.append([column, value, english, hindi])
    with translation.override("hi"):
        sheet.append(["registered_on", "01/05/2021", "day/month/year", str(_("day/month/year"))])
    for letter, width in (("A", 16), ("B", 12), ("C", 44), ("D", 44)):
        sheet.column_dimensions[letter].width = width


def _rules(district: District, areas: str, villages: str) -> dict[str, DataValidation]:
    year = timezone.localdate().year
    return {
        "gender": _list('"F,M,O"'),
        "id_type": _list('"' + ",".join(IdType.values) + '"'),
        "priority": _list('"' + ",".join(str(v) for v in PriorityGroup.values) + '"'),
        "ration_card": _list('"' + ",".join(RationCard.values) + '"'),
        "district": _list(f'"{district.name_en}"'),
        "block_or_town": _list(areas),
        "village_or_ward": _list(villages),
        "birth_year": DataValidation(
            type="whole", operator="between", formula1=str(year - 120), formula2=str(year - 18)
        ),
    }


def _list(formula: str) -> DataValidation:
    # A warning, not a stop: the import still reads other spellings of a place.
    return DataValidation(type="list", formula1=formula, allow_blank=True, errorStyle="warning")


def _validate(sheet, column: str, rule: DataValidation) -> None:
    letter = _letter(column)
    sheet.add_data_validation(rule)
    rule.add(f"{letter}2:{letter}{ROWS + 1}")


def _as_text(sheet, column: str) -> None:
    """Typed as text, so a spreadsheet program keeps leading zeros and does
    not turn a date or a long number into something else."""
    letter = _letter(column)
    # On the column, not on 5,000 empty cells (which an import would read as rows).
    sheet.column_dimensions[letter].number_format = "@"
    if column == "registered_on":
        sheet[f"{letter}1"].comment = Comment("day/month/year, like 01/05/2021", "Teeka")
