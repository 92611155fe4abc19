from registrations import ids


def test_a_reference_carries_a_check_symbol_that_catches_a_typo():
    reference = ids.new_reference()
    assert ids.clean_reference(reference) == reference
    wrong = ("1" if reference[0] != "1" else "2") + reference[1:]
    assert ids.clean_reference(wrong) is None


def test_a_reference_read_aloud_or_typed_loosely_is_understood():
    reference = ids.new_reference()
    typed = ids.format_reference(reference).lower().replace("0", "o").replace("1", "l")
    assert ids.clean_reference(typed) == reference


def test_the_id_hash_is_keyed(settings):
    first = ids.hash_id_number("AADHAAR", "234123412346")
    settings.ID_HASH_KEY = "another key"
    assert ids.hash_id_number("AADHAAR", "234123412346") != first


def test_spaces_and_case_do_not_change_the_id_hash():
    assert ids.hash_id_number("PAN", "abcde1234f") == ids.hash_id_number("PAN", " ABCDE 1234F ")
