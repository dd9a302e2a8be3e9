"""Bad HLO text raises HloParseError that says where, with the line and a caret."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from hloscope.errors import HloscopeError
from hloscope.hlo import HloParseError, parse_hlo

CASES = Path(__file__).parent / "hlo_cases"

GOOD = """HloModule m

%add (a: f32[], b: f32[]) -> f32[] {
  %a = f32[] parameter(0)
  %b = f32[] parameter(1)
  ROOT %s = f32[] add(%a, %b)
}

ENTRY %main (x: f32[4]) -> f32[] {
  %x = f32[4]{0} parameter(0)
  %zero = f32[] constant(0)
  ROOT %r = f32[] reduce(%x, %zero), dimensions={0}, to_apply=%add
}
"""


def parse_error(text: str) -> HloParseError:
    with pytest.raises(HloParseError) as info:
        parse_hlo(text)
    return info.value


def test_error_family_and_exit_code():
    error = parse_error("")
    assert isinstance(error, ValueError)
    assert isinstance(error, HloscopeError)
    assert error.exit_code == 2


def test_line_column_and_caret():
    text = GOOD.replace("ROOT %s = f32[] add(%a, %b)", "ROOT %s = f32[] add(%a %b)")
    error = parse_error(text)
    assert (error.line, error.column) == (6, 26)
    lines = str(error).splitlines()
    assert "line 6, column 26" in lines[0]
    assert lines[1] == "    ROOT %s = f32[] add(%a %b)"
    assert lines[2] == "  " + " " * 25 + "^"
    assert lines[1][lines[2].index("^")] == "%"


def test_caret_follows_tabs():
    error = parse_error("ENTRY e {\n\t%x = f32[] parameter(0)\n\t%y = f32[] negate(%q)\n}\n")
    assert (error.line, error.column) == (3, 20)
    lines = str(error).splitlines()
    assert lines[1] == "  \t%y = f32[] negate(%q)"
    assert lines[2] == "  \t" + " " * 18 + "^"


def test_undefined_operand():
    error = parse_error(GOOD.replace("add(%a, %b)", "add(%a, %c)"))
    assert "cannot parse as an instruction name or as a nested instruction: c is not defined" in str(error)
    assert (error.line, error.column) == (6, 27)


def test_operand_defined_later_is_undefined():
    text = "ENTRY e {\n  %y = f32[] negate(%x)\n  %x = f32[] parameter(0)\n}\n"
    assert "x is not defined" in str(parse_error(text))


def test_undefined_computation():
    text = GOOD.replace("to_apply=%add", "to_apply=%missing")
    error = parse_error(text)
    assert "computation does not exist: missing" in str(error)
    assert error.line == 12
    assert text.splitlines()[11][error.column - 1 :].startswith("%missing")  # at the %, as XLA
    assert "missing" in str(error).splitlines()[1][error.column - 1 :]


def test_computation_must_be_defined_before_its_caller():
    text = GOOD.replace("%add (a", "%zzz (a").replace("to_apply=%add", "to_apply=%add2")
    assert "computation does not exist: add2" in str(parse_error(text))


def test_duplicate_computation_names():
    text = GOOD.replace("ENTRY %main", "%add (x: f32[4]) -> f32[] {\n  ROOT %x = f32[4]{0} parameter(0)\n}\n\nENTRY %main")
    error = parse_error(text)
    assert str(error).startswith("computation already exists: add")
    assert error.line == 9


@pytest.mark.parametrize("fast", [True, False], ids=["one-line", "wrapped"])
def test_duplicate_instruction_names(fast):
    second = "  %a = f32[] parameter(1)" if fast else "  %a = f32[]\n     parameter(1)"
    error = parse_error(GOOD.replace("  %b = f32[] parameter(1)", second))
    assert str(error).startswith("instruction already exists: a (defined twice in computation add)")
    assert error.line == 5


@pytest.mark.parametrize("text", ["", "   \n\n", "// only a comment\n", "/* nothing */", "HloModule empty\n"])
def test_empty_text(text):
    assert "no computation found" in str(parse_error(text))


def test_binary_junk():
    junk = bytes(range(256)).decode("latin-1") * 4
    error = parse_error(junk)
    assert error.line >= 1 and error.column >= 1
    # Non-printable characters are not echoed raw into the message.
    assert "\x00" not in str(error)
    parse_error("\x00" + GOOD)
    parse_error(GOOD.replace("%x = f32[4]{0}", "%x = f32\x00[4]{0}"))


def test_every_truncation_parses_or_fails_cleanly():
    for cut in range(len(GOOD)):
        try:
            parse_hlo(GOOD[:cut])
        except HloParseError as error:
            assert 1 <= error.line <= GOOD[:cut].count("\n") + 1
        else:
            # Only a cut right after a computation's closing brace leaves valid text.
            assert GOOD[:cut].rstrip().endswith("}"), cut


@pytest.mark.parametrize(
    "text, message",
    [
        ("ENTRY e {\n  %x = f32[] parameter(0), backend_config={\n", "unclosed '{'"),
        # XLA reads the list's items as it meets them: the next attribute's name is no integer.
        (GOOD.replace("dimensions={0}", "dimensions={0"), "expects integer"),
        (GOOD.replace("ROOT %s", "/* open comment ROOT %s"), "unterminated /* comment"),
        (GOOD.replace("HloModule m", 'HloModule m, frontend_attributes={a="x}'), "unterminated string"),
        (GOOD.replace("%x = f32[4]{0} parameter(0)", "%x = f32[4]{0} parameter(x)"), "expects integer"),
        (GOOD.replace("ROOT %r", "ROOT %r0 = f32[] add(%zero, %zero)\n  ROOT %r"), "only one ROOT"),
        (GOOD.replace("%add (a", "ENTRY %add (a"), "only one ENTRY"),
        (GOOD.replace("f32[4]{0} parameter", "f32[4{0} parameter"), "expects ',' or ']' in dimensions"),
        (GOOD.replace("%zero = f32[]", "%zero f32[]"), "expects '=' after the instruction name"),
        (GOOD.replace("dimensions={0}, to_apply", "dimensions={0}, , to_apply"), "expects attribute name"),
        (GOOD.replace("dimensions={0}", "dimensions="), "expects value of attribute 'dimensions'"),
        (GOOD + "}", "expects computation name"),
        (GOOD.replace("ENTRY %main (x: f32[4]) -> f32[]", "ENTRY %main (x: f32[4]) -> f32[] ="), "expects '{'"),
        ("ENTRY e {\n}\n", "has no instructions"),
        ("HloModule m\nENTRY e {\n  %x = f32[] parameter(0)\n", "expects '}' to end computation e"),
    ],
)
def test_specific_errors(text, message):
    assert message in str(parse_error(text))


def test_deep_nesting_never_exhausts_the_stack():
    for opener, closer in ("()", "{}", "[]"):
        deep = opener * 100_000 + closer * 100_000
        parse_hlo(f"ENTRY e {{\n  %x = f32[] parameter(0), backend_config={deep}\n}}\n")
        parse_error(f"ENTRY e {{\n  %x = f32[] parameter(0)\n  ROOT %y = f32[] negate{deep}\n}}\n")
        parse_error(f"ENTRY e {{\n  %x = f32[] parameter(0), backend_config={opener * 100_000}\n}}\n")
    # A deeply nested empty tuple is a valid shape.
    assert parse_hlo("ENTRY e {\n  %x = " + "(" * 50_000 + ")" * 50_000 + " parameter(0)\n}\n")
    nested_ops = "negate(" * 5000 + "%x" + ")" * 5000
    parse_error(f"ENTRY e {{\n  %x = f32[] parameter(0)\n  ROOT %y = f32[] {nested_ops}\n}}\n")


def test_long_lines_are_shown_as_a_window():
    text = "ENTRY e {\n  %x = f32[] parameter(0), backend_config=\"" + "a" * 40_000 + "\", sharding=)\n}\n"
    error = parse_error(text)
    shown = str(error).splitlines()[1]
    assert len(shown) < 200
    caret = str(error).splitlines()[2]
    assert shown[caret.index("^")] == ")"


def test_label_and_pickling():
    error = parse_error(GOOD.replace("add(%a, %b)", "add(%a, %c)"))
    labelled = error.with_label("dump/module_0001.txt")
    assert isinstance(labelled, HloParseError)
    assert "dump/module_0001.txt: line 6, column 27" in str(labelled)
    assert (labelled.line, labelled.column) == (6, 27)
    again = pickle.loads(pickle.dumps(labelled))
    assert str(again) == str(labelled) and again.line == 6


def test_not_a_string():
    with pytest.raises(TypeError):
        parse_hlo(GOOD.encode())  # type: ignore[arg-type]


def test_good_text_parses():
    module = parse_hlo(GOOD)
    assert module.entry.root.calls == (("to_apply", "add"),)


def test_repeated_attribute():
    wrapped = GOOD.replace("dimensions={0}, to_apply=%add", "dimensions={0},\n    dimensions={0}, to_apply=%add")
    assert "attribute dimensions already exists" in str(parse_error(wrapped))
    # On a one-line instruction the fast path reads it; the last value wins.
    one_line = GOOD.replace("dimensions={0}, to_apply=%add", "dimensions={0}, dimensions={1}, to_apply=%add")
    try:
        module = parse_hlo(one_line)
    except HloParseError:
        return
    assert module.entry.root.attributes["dimensions"] == "{1}"
