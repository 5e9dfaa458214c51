import datetime
import io
import zipfile

import factory

from assessment.models import (
    AssessmentWindow,
    CaseStudyMaterial,
    DeadlineExtension,
    EligibilityException,
    Submission,
)

UTC = datetime.UTC


class AssessmentWindowFactory(factory.django.DjangoModelFactory):
    """A window open from 09:00 on 1 June 2028 for 8 days; results on 20 July."""

    class Meta:
        model = AssessmentWindow

    programme = factory.SubFactory(
        "programmes.tests.factories.ProgrammeFactory", assessment_word_limit=1500
    )
    cohort = None
    title = factory.Sequence(lambda n: f"Summer 2028 assessment {n}")
    opens_at = datetime.datetime(2028, 6, 1, 9, 0, tzinfo=UTC)
    closes_at = factory.LazyAttribute(lambda window: window.opens_at + datetime.timedelta(days=8))
    results_release_at = datetime.datetime(2028, 7, 20, 9, 0, tzinfo=UTC)


class CaseStudyMaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseStudyMaterial

    window = factory.SubFactory(AssessmentWindowFactory)
    title = "Case study: Oakfield Primary School"
    file = factory.django.FileField(filename="material", data=b"%PDF-1.7\n% case study\n")
    original_filename = "oakfield-case-study.pdf"


class EligibilityExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EligibilityException

    window = factory.SubFactory(AssessmentWindowFactory)
    enrolment = factory.SubFactory("participants.tests.factories.EnrolmentFactory")
    reason = "Missed two clinics through illness; caught up with the recordings."


class DeadlineExtensionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeadlineExtension

    window = factory.SubFactory(AssessmentWindowFactory)
    enrolment = factory.SubFactory("participants.tests.factories.EnrolmentFactory")
    until = factory.LazyAttribute(lambda ext: ext.window.closes_at + datetime.timedelta(days=3))
    reason = "Bereavement leave during the window."


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A draft; tests that submit go through the services."""

    class Meta:
        model = Submission

    enrolment = factory.SubFactory("participants.tests.factories.EnrolmentFactory")
    window = factory.SubFactory(AssessmentWindowFactory)
    text = "A draft of my case study."
    word_count = 6


def minimal_docx() -> bytes:
    """The smallest Word document Word itself would open: the parts it must have."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>My case '
            "study</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` in Helvetica, built by hand (objects, then the xref)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def docx_with(text: str) -> bytes:
    """A Word document whose body is `text`, a paragraph per line."""
    body = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text.splitlines())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(minimal_docx())) as template:
            archive.writestr("[Content_Types].xml", template.read("[Content_Types].xml"))
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            f'openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>',
        )
    return buffer.getvalue()
