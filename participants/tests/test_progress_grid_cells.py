from types import SimpleNamespace

from participants.templatetags.progress_grid import progress_cells


def test_each_mark_and_phase_says_the_same_as_the_template_did():
    row = SimpleNamespace(
        marks=["present", "late", "absent", "excused", ""],
        phases=[(True, False), (False, True)],
    )

    html = progress_cells(row)

    assert html == (
        '<td class="cell-present"><span aria-hidden="true">✓</span>'
        '<span class="visually-hidden">present</span></td>'
        '<td class="cell-late"><span aria-hidden="true">L</span>'
        '<span class="visually-hidden">late</span></td>'
        '<td class="cell-absent"><span aria-hidden="true">✗</span>'
        '<span class="visually-hidden">absent</span></td>'
        '<td class="cell-excused"><span aria-hidden="true">E</span>'
        '<span class="visually-hidden">excused</span></td>'
        '<td class="cell-none"></td>'
        '<td><span aria-hidden="true">S✓ <span class="text-body-secondary">A</span></span>'
        '<span class="visually-hidden">study done, application not done</span></td>'
        '<td><span aria-hidden="true"><span class="text-body-secondary">S</span> A✓</span>'
        '<span class="visually-hidden">study not done, application done</span></td>'
    )
