"""The seeded programme catalogue, written from the source pages in shared/seeds/.

NPQLPM follows 001_3d224ac271ae6bbb.txt (with the prerequisite from 000_5e119db9bf6ccf03.txt);
the leadership and specialist NPQs follow 003_546756f382692214.txt and 004_069776eb4c9d507b.txt;
the Maths Hub programmes follow 002_9948b44bc4497368.txt. Funding summaries restate rule set 2026
of shared/FUNDING.md. Entries or fields the pages do not cover are the hub's own and say so in
`review_note` (and `content_source="hub"` where the whole description is the hub's own).

No source page gives a fee, so the loader sets none: every programme's `default_fee` starts at
0 (free) and staff set it, or a cohort's own fee, on the programme and cohort forms.
"""

from .catalogue import ClinicSeed, CourseSeed, ModuleSeed, ProgrammeSeed

# --- Shared NPQ text -------------------------------------------------------------------------

NPQ_ASSESSMENT = (
    "Participants answer a short, assessed case study question: the NPQ's summative assessment."
)

NPQ_DELIVERY = (
    "A mixture of face-to-face sessions, webinars and self-directed study, combining live and "
    "self-paced, in-person and online parts, so that the NPQ can be completed flexibly around "
    "existing work. The provider sets the course structure, content and method of delivery."
)

NPQ_AIMS_COMMON = (
    "Participants learn from an evidence-based curriculum, set by the NPQ's content framework, "
    "that draws on effective pedagogy, current research and international best practice. It "
    "gives them the knowledge and skills to improve in their current role or to take the next "
    "step in their career."
)

FUNDING_UNIVERSAL = (
    "DfE scholarship funding is available for people working in eligible schools and settings "
    "in England (most state-funded schools, some special schools and, for some NPQs, early "
    "years settings). Where a place is not funded, the school, trust or participant pays."
)

FUNDING_TARGETED = (
    "DfE scholarship funding is available for schools on the PP50 list (16 to 19 settings: the "
    "further-education PP50 list) or the RISE list. Other schools, trusts or participants pay."
)

FUNDING_NOTE = "Funding summary restates rule set 2026; check it each recruitment round."

LENGTH_NOTE = (
    "Length is the hub's typical delivery; the source pages give only the 2-terms-to-27-months "
    "range."
)

MATHS_HUB_FUNDING = (
    "Maths Hub Work Groups are normally free to state-funded schools; ask the hub for details."
)

MATHS_HUB_NOTE = (
    "The funding summary is the hub's standard wording, not from the source page: check the cost "
    "with the Maths Hub. The source page describes the 2022-23 programme: check the details for "
    "the current year."
)


def _npqlpm_course(
    number: int,
    title: str,
    aims: str,
    modules: tuple[str, str, str],
    key_content: tuple[str, ...],
) -> CourseSeed:
    return CourseSeed(
        kind="course",
        title=title,
        number=number,
        delivery=(
            "Three asynchronous modules (study, then application in school) and one "
            "synchronous clinic"
        ),
        aims=aims,
        key_content=key_content,
        modules=tuple(ModuleSeed(title=m, format="study_and_apply") for m in modules),
        clinics=(ClinicSeed(title=f"{title} clinic"),),
    )


# --- NPQ in Leading Primary Mathematics (001, 000) --------------------------------------------

NPQLPM = ProgrammeSeed(
    slug="npq-leading-primary-mathematics",
    course_identifier="npq-leading-primary-mathematics",
    short_name="NPQLPM",
    name="NPQ in Leading Primary Mathematics",
    family="specialist",
    phases=("primary",),
    summary=(
        "A one-year specialist NPQ for teachers who lead, or want to lead, mathematics teaching "
        "in a primary school, building on their experience of teaching for mastery."
    ),
    who_for=(
        "Teachers who have, or are aspiring to have, responsibility for leading maths teaching in "
        "the primary phase, including leading and promoting primary mathematics across a "
        "school.\n\n"
        "It is aimed at teachers who already understand mastery approaches securely and want to "
        "build the leadership capability to improve mastery teaching of mathematics across their "
        "school."
    ),
    aims=(
        "The programme supports teachers to deepen their understanding of excellent mathematics "
        "teaching for mastery, and of the knowledge and concepts that underpin successful "
        "leadership of mathematics.\n\n"
        "Over one year, participants develop informed and intentional approaches to instruction, "
        "curriculum, assessment, adaptive teaching, professional development and implementation "
        "for the teachers they lead."
    ),
    length="1 year",
    length_months=12,
    prerequisites=(
        "Participants are expected to have completed at least one year of the Teaching for "
        "Mastery programme, or to have secure mastery expertise from another equivalent "
        "programme."
    ),
    delivery_model=(
        "The programme opens with a face-to-face conference that introduces it and lets "
        "participants experience the core components of each course.\n\n"
        "Six courses follow in a set order. Each has three asynchronous modules, in which "
        "participants study and then apply what they have learnt in school, and one synchronous "
        "clinic.\n\n"
        "An Assessment Preparation Package, an asynchronous webinar in two parts and a "
        "synchronous clinic, prepares participants for the final assessment."
    ),
    curriculum_rationale=(
        "The NPQ in Leading Primary Mathematics is a 12-month programme broken down into six "
        "courses. The order in which participants take the courses is designed so that each "
        "builds logically on what came before, helping the leaders taking part to keep getting "
        "better.\n\n"
        "Course 1, Culture and Learning, comes first because its ideas frame the rest of the "
        "programme. Leading mathematics requires a secure understanding of what is meant by "
        "mastery, together with expertise in planning for and driving an effective culture for "
        "learning. The course explores developing a theory of change, building positive "
        "attitudes to mathematics and making sure classroom culture is conducive to effective "
        "mathematics teaching. It also builds participants' understanding of how people, pupils "
        "and teachers alike, learn. Learning can helpfully be understood as a lasting change in "
        "pupils' capabilities or understanding, and how learning happens can be understood with "
        "reference to how memory works. These ideas underpin much of the rest of the "
        "programme.\n\n"
        "Courses 2, 3 and 4 are Assessment, Instruction and Curriculum. Together they represent "
        "the fundamental knowledge domains that those leading mathematics in primary schools "
        "need to understand. Assessment, particularly formative assessment, informs decisions "
        "about how to teach. Instruction covers key ideas about how to teach so that all pupils "
        "learn, including the effective use of manipulatives, visuals and talk. Curriculum "
        "places these ideas in the context of curriculum design and sequencing, before focusing "
        "on the importance of early mathematics. All three courses are underpinned by the "
        "principles of learning covered in course 1.\n\n"
        "Courses 5 and 6 are Professional Development and Implementation. They focus on the "
        "expertise that those leading mathematics need to drive improvements in teaching. "
        "Teacher development is a crucial lever for improving the teaching of mathematics, and "
        "participants engage with evidence on how to design and deliver effective professional "
        "development that supports mathematics teaching in their context. Implementation is the "
        "wider process of driving improvement: those leading mathematics need to consider "
        "carefully what they do, how they do it and, crucially, how they work as part of the "
        "wider school system. This circles back, in part, to course 1 and the deliberate "
        "planning of improvement through a theory of change."
    ),
    assessment=(
        NPQ_ASSESSMENT + " The Assessment Preparation Package explains the format of the "
        "assessment and gives participants practice in applying their knowledge and "
        "understanding to an example scenario."
    ),
    funding_summary=FUNDING_TARGETED,
    content_source="source_pages",
    review_note=(
        FUNDING_NOTE + " The small-schools bursary mentioned on the 2024 announcement page is "
        "not part of rule set 2026. The page names neither the clinics nor the two parts of the "
        "assessment webinar: their titles are the hub's."
    ),
    courses=(
        CourseSeed(
            kind="conference",
            title="Conference",
            number=None,
            delivery="Face-to-face conference",
            aims=(
                "Introduces the programme and gives participants opportunity to experience the "
                "core components of each course."
            ),
            key_content=(
                "The importance of mastery approaches in primary mathematics.",
                "The importance of developing expertise as a leader of mathematics.",
                "Overview of the NPQ programme as a vehicle for developing expertise.",
                "Introduction to the simple model of memory and what it means for teaching, "
                "pupil learning and teacher learning.",
                "Module principles, study and apply modules, and clinics are all explained and "
                "modelled with opportunity for practice.",
            ),
        ),
        _npqlpm_course(
            1,
            "Culture and Learning",
            "Develop an understanding of mathematics mastery and learning from the perspective "
            "of a leader of teaching.",
            (
                "Primary mathematics: a theory of change",
                "Simple model of memory",
                "Culture and behaviour",
            ),
            (
                "Leading primary mathematics using a clear theory of change.",
                "The importance of developing a positive culture of mathematics.",
                "The alignment of school vision and aims with long-term goals for mathematics.",
                "What it means to be 'evidence-informed'.",
                "Thinking about pupil and teacher learning using the simple model of memory.",
                "Cognitive load theory and the implications for teaching and learning.",
                "The importance of early mathematics and prior knowledge for mastery.",
                "Creating desirable difficulties through retrieval and practice.",
                "Culture and the enabling conditions for effective teaching, pupil success and "
                "staff and pupil wellbeing.",
                "Developing positive dispositions towards mathematics.",
            ),
        ),
        _npqlpm_course(
            2,
            "Assessment",
            "Develop an understanding of leading purposeful and responsive assessment practices "
            "in mathematics.",
            ("Decision-driven data collection", "Responsive teaching", "Feedback"),
            (
                "Defining and exemplifying the key terminology that describes the "
                "characteristics of an assessment (e.g. validity, reliability, inference, "
                "performance, formative, summative).",
                "The importance of recognising the limitations of inference.",
                "Assessment practices that are designed to inform future decisions about "
                "teaching and learning (decision-driven data collection).",
                "The purpose of formative assessment so that pupil needs can be best met.",
                "The process of using formative assessment tools.",
                "The importance of feedback in improving learning.",
            ),
        ),
        _npqlpm_course(
            3,
            "Instruction",
            "Develop an understanding of leading expert instruction.",
            ("Introduce", "Adapt", "Embed"),
            (
                "Introducing new ideas to pupils using explicit instruction to support their "
                "understanding.",
                "Representing mathematical ideas using manipulatives and visual representations.",
                "Using I-We-You to introduce new material in small steps, working through the "
                "material with pupils to check that they understand it and gradually "
                "withdrawing support so that pupils gain a level of independence.",
                "Adaptive teaching using scaffolding as part of responsive teaching.",
                "The meaning of inclusion and ensuring that all pupils have access to good "
                "mathematics teaching and can fully participate in school.",
                "The role of forgetting and desirable difficulties in building learning that "
                "lasts.",
                "Effective use of retrieval, practice, spacing and group work in the classroom.",
                "Developing problem-solving and reasoning in mathematics.",
            ),
        ),
        _npqlpm_course(
            4,
            "Curriculum",
            "Develop an understanding of leading the development of curriculum with clear "
            "purpose, aims and sequencing.",
            ("Curricular purpose and content", "Sequencing learning", "Early mathematics"),
            (
                "Pupils' knowledge and understanding of mathematics is dependent upon a "
                "detailed and coherently sequenced mathematics curriculum.",
                "Careful and purposeful planning of manipulatives, representations and "
                "vocabulary underpins a successful curriculum for mastery.",
                "Pupils need sufficient time to master one element before moving on to the next.",
                "End points for a curriculum can be broken down to sequence the content in "
                "further detail.",
                "The importance of considering sequencing when designing a curriculum.",
                "Sequencing problem-solving and reasoning opportunities to deepen understanding.",
                "The importance of revisiting key concepts in a curriculum so that pupils can "
                "develop a deep and flexible understanding.",
                "The importance of early mathematical development in later success in mathematics.",
                "The importance of a clear and well-sequenced early mathematics curriculum so "
                "that pupils can achieve the mathematics Early Learning Goals.",
            ),
        ),
        _npqlpm_course(
            5,
            "Professional Development",
            "Develop an understanding of expertise and how leaders can support teachers to keep "
            "getting better.",
            (
                "Developing expertise",
                "Mechanisms for behaviour change",
                "Enabling continual improvement",
            ),
            (
                "What is meant by expertise and how it can be developed.",
                "Engaging with a clear theory of change for professional development that is "
                "needs-based and evidence-informed.",
                "How leaders can facilitate lasting change in teachers' capabilities and "
                "understanding through utilising mechanisms for behaviour change.",
                "Tailoring professional development to meet individual teachers' needs.",
                "The importance of a supportive professional environment for teacher improvement.",
            ),
        ),
        _npqlpm_course(
            6,
            "Implementation",
            "Develop an understanding of effective implementation in schools.",
            ("Explore", "Prepare", "Deliver and sustain"),
            (
                "How school leaders can diagnose the needs of their school and draw on evidence "
                "to identify solutions.",
                "Exemplification of the implementation cycle.",
                "Preparing for implementing change.",
                "How school leaders can deliver and sustain change.",
            ),
        ),
        CourseSeed(
            kind="assessment_preparation",
            title="Assessment Preparation Package",
            number=None,
            delivery="One asynchronous webinar (in two parts) and one synchronous clinic",
            aims="Develop an understanding of the NPQLPM assessment process.",
            key_content=(
                "The format of the NPQ assessment.",
                "Applying knowledge and understanding to an example scenario.",
                "Understanding what makes an effective assessment response.",
            ),
            modules=(
                ModuleSeed(title="Assessment webinar, part 1", format="webinar"),
                ModuleSeed(title="Assessment webinar, part 2", format="webinar"),
            ),
            clinics=(ClinicSeed(title="Assessment preparation clinic"),),
        ),
    ),
)

# --- Leadership NPQs (003, 004; Early Years Leadership is the hub's own) -----------------------

NPQSL = ProgrammeSeed(
    slug="npq-senior-leadership",
    course_identifier="npq-senior-leadership",
    short_name="NPQSL",
    name="NPQ in Senior Leadership",
    family="leadership",
    phases=("early_years", "primary", "secondary"),
    summary=(
        "A leadership NPQ for current and aspiring senior leaders whose responsibilities reach "
        "across the whole school."
    ),
    who_for=(
        "School leaders who already hold, or are working towards, a senior leadership role with "
        "responsibilities that span the whole school."
    ),
    aims=(
        "One of the three established leadership NPQs, reformed from autumn 2021, that develop "
        "knowledge and skills in school leadership.\n\n" + NPQ_AIMS_COMMON
    ),
    length="18 months",
    length_months=18,
    delivery_model=NPQ_DELIVERY,
    assessment=NPQ_ASSESSMENT,
    funding_summary=FUNDING_UNIVERSAL,
    content_source="source_pages",
    review_note=LENGTH_NOTE + " " + FUNDING_NOTE,
)

NPQH = ProgrammeSeed(
    slug="npq-headship",
    course_identifier="npq-headship",
    short_name="NPQH",
    name="NPQ in Headship",
    family="leadership",
    phases=("early_years", "primary", "secondary"),
    summary=(
        "A leadership NPQ for serving and aspiring headteachers and heads of school who are "
        "responsible for leading a school."
    ),
    who_for=(
        "School leaders who lead, or intend to lead, a school as its headteacher or head of school."
    ),
    aims=(
        "One of the three established leadership NPQs, reformed from autumn 2021, that develop "
        "knowledge and skills in school leadership.\n\n" + NPQ_AIMS_COMMON
    ),
    length="18 months",
    length_months=18,
    delivery_model=NPQ_DELIVERY,
    assessment=NPQ_ASSESSMENT,
    funding_summary=FUNDING_UNIVERSAL,
    content_source="source_pages",
    review_note=LENGTH_NOTE + " " + FUNDING_NOTE,
)

NPQEL = ProgrammeSeed(
    slug="npq-executive-leadership",
    course_identifier="npq-executive-leadership",
    short_name="NPQEL",
    name="NPQ in Executive Leadership",
    family="leadership",
    phases=("primary", "secondary"),
    summary=(
        "A leadership NPQ for executive headteachers and trust chief executives, current or "
        "aspiring, who lead several schools."
    ),
    who_for=(
        "School leaders who are, or intend to become, an executive headteacher or the chief "
        "executive of a school trust, with responsibility for leading more than one school."
    ),
    aims=(
        "One of the three established leadership NPQs, reformed from autumn 2021, that develop "
        "knowledge and skills in school leadership, up to leading multiple schools across a "
        "trust.\n\n" + NPQ_AIMS_COMMON
    ),
    length="18 months",
    length_months=18,
    delivery_model=NPQ_DELIVERY,
    assessment=NPQ_ASSESSMENT,
    funding_summary=FUNDING_TARGETED,
    content_source="source_pages",
    review_note=LENGTH_NOTE + " " + FUNDING_NOTE,
)

NPQEYL = ProgrammeSeed(
    slug="npq-early-years-leadership",
    course_identifier="npq-early-years-leadership",
    short_name="NPQEYL",
    name="NPQ in Early Years Leadership",
    family="leadership",
    phases=("early_years",),
    summary=(
        "A leadership NPQ for current and aspiring leaders of early years provision, from "
        "nursery managers and nursery school headteachers to childminders."
    ),
    who_for=(
        "Leaders, and those who aspire to lead, in early years education: managers of private, "
        "voluntary and independent nurseries, headteachers of nursery schools, early years leads "
        "in schools (for example those responsible for nursery and Reception) and "
        "childminders."
    ),
    aims=(
        "Develops the knowledge and skills needed to lead high-quality early years education "
        "and care, and to lead and develop the staff who provide it.\n\n" + NPQ_AIMS_COMMON
    ),
    length="18 months",
    length_months=18,
    delivery_model=NPQ_DELIVERY,
    assessment=NPQ_ASSESSMENT,
    funding_summary=(
        "DfE scholarship funding is available for eligible state-funded schools and settings in "
        "England, including early years and childcare settings; a childminder must be on DfE's "
        "childminders list."
    ),
    content_source="hub",
    review_note=(
        "Who it is for, the summary and the aims are the hub's own: this NPQ came after the "
        "source pages. Check them against the DfE framework and the provider's materials. "
        + LENGTH_NOTE
        + " "
        + FUNDING_NOTE
    ),
)

# --- Specialist NPQs (003, 004; Leading Literacy and SENCO are the hub's own) -------------------

SPECIALIST_AIMS_2021 = (
    "One of the three specialist NPQs introduced from autumn 2021 in place of the NPQ in Middle "
    "Leadership, for teachers and leaders who want to develop expertise in a specialist area of "
    "teaching practice.\n\n" + NPQ_AIMS_COMMON
)

NPQLTD = ProgrammeSeed(
    slug="npq-leading-teaching-development",
    course_identifier="npq-leading-teaching-development",
    short_name="NPQLTD",
    name="NPQ in Leading Teacher Development",
    family="specialist",
    phases=("primary", "secondary"),
    summary=(
        "A specialist NPQ for teachers who lead, or want to lead, the training and development "
        "of other teachers in their school."
    ),
    who_for=(
        "Teachers who are responsible, or want to become responsible, for leading the training "
        "and development of other teachers in their school."
    ),
    aims=SPECIALIST_AIMS_2021,
    length="12 months",
    length_months=12,
    delivery_model=NPQ_DELIVERY,
    assessment=NPQ_ASSESSMENT,
    funding_summary=FUNDING_TARGETED,
    content_source="source_pages",
    review_note=LENGTH_NOTE + " " + FUNDING_NOTE,
)

NPQLT = ProgrammeSeed(
    slug="npq-leading-teaching",
    course_identifier="npq-leading-teaching",
    short_name="NPQLT",
    name="NPQ in Leading Teaching",
    family="specialist",
    phases=("primary", "secondary"),
    summary=(
        "A specialist NPQ for subject leads and other teachers who lead, or want to lead, "
        "teaching in a subject, year group, key stage or phase."
    ),
    who_for=(
        "Teachers who are responsible, or want to become responsible, for leading teaching in a "
        "subject, year group, key stage or phase, such as subject leads and those charged with "
        "improving teaching practice in a subject or phase."
    ),
    aims=SPECIALIST_AIMS_2021,
    length="12 months",
    length_months=12,
    delivery_model=NPQ_DELIVERY,
    assessment=NPQ_ASSESSMENT,
    funding_summary=FUNDING_TARGETED,
    content_source="source_pages",
    review_note=LENGTH_NOTE + " " + FUNDING_NOTE,
)

NPQLBC = ProgrammeSeed(
    slug="npq-leading-behaviour-culture",
    course_identifier="npq-leading-behaviour-culture",
    short_name="NPQLBC",
    name="NPQ in Leading Behaviour and Culture",
    family="specialist",
    phases=("primary", "secondary"),
    summary=(
        "A specialist NPQ for teachers who lead, or want to lead, behaviour, culture and pupil "
        "wellbeing in their school."
    ),
    who_for=(
        "Teachers who are responsible, or want to become responsible, for leading behaviour and "
        "culture in their school, supporting pupil wellbeing, or both."
    ),
    aims=SPECIALIST_AIMS_2021,
    length="12 months",
    length_months=12,
    delivery_model=NPQ_DELIVERY,
    assessment=NPQ_ASSESSMENT,
    funding_summary=FUNDING_TARGETED,
    content_source="source_pages",
    review_note=LENGTH_NOTE + " " + FUNDING_NOTE,
)

NPQLL = ProgrammeSeed(
    slug="npq-leading-literacy",
    course_identifier="npq-leading-literacy",
    short_name="NPQLL",
    name="NPQ in Leading Literacy",
    family="specialist",
    phases=("primary", "secondary"),
    summary=(
        "A specialist NPQ for teachers who lead, or want to lead, literacy across a school, "
        "year group, key stage or phase."
    ),
    who_for=(
        "Teachers who have, or want to take on, responsibility for leading literacy across a "
        "school, year group, key stage or phase, in primary or secondary schools. It covers "
        "reading, including early reading and phonics, and writing."
    ),
    aims=(
        "Develops the expertise needed to lead the teaching of literacy so that all pupils "
        "become confident, fluent readers and writers.\n\n" + NPQ_AIMS_COMMON
    ),
    length="12 months",
    length_months=12,
    delivery_model=NPQ_DELIVERY,
    assessment=NPQ_ASSESSMENT,
    funding_summary=FUNDING_TARGETED,
    content_source="hub",
    review_note=(
        "Who it is for, the summary and the aims are the hub's own: this NPQ came after the "
        "source pages. Check them against the DfE framework and the provider's materials. "
        + LENGTH_NOTE
        + " "
        + FUNDING_NOTE
    ),
)

NPQSENCO = ProgrammeSeed(
    slug="npq-senco",
    course_identifier="npq-senco",
    short_name="NPQSENCO",
    name="NPQ for Special Educational Needs Co-ordinators",
    family="specialist",
    phases=("early_years", "primary", "secondary"),
    summary=(
        "The specialist NPQ for serving and aspiring special educational needs co-ordinators "
        "(SENCOs), and the mandatory qualification for new SENCOs in schools in England."
    ),
    who_for=(
        "Teachers who are, or want to become, the special educational needs co-ordinator "
        "(SENCO) in a school or nursery school.\n\n"
        "Since September 2024 it has been the mandatory qualification for teachers newly "
        "appointed as a SENCO in England, replacing the National Award for SEN Co-ordination."
    ),
    aims=(
        "Develops the knowledge and skills to lead provision for pupils with special "
        "educational needs and disabilities, and to work with colleagues, families and other "
        "services so that these pupils are well taught and supported.\n\n" + NPQ_AIMS_COMMON
    ),
    length="18 months",
    length_months=18,
    delivery_model=NPQ_DELIVERY,
    assessment=NPQ_ASSESSMENT,
    funding_summary=FUNDING_UNIVERSAL,
    content_source="hub",
    review_note=(
        "Who it is for, the summary and the aims are the hub's own: this NPQ came after the "
        "source pages. Check them, including the statement that it is the mandatory SENCO "
        "qualification, against current DfE guidance. " + LENGTH_NOTE + " " + FUNDING_NOTE
    ),
)

# --- Support offers ---------------------------------------------------------------------------

EHCO = ProgrammeSeed(
    slug="npq-early-headship-coaching-offer",
    course_identifier="npq-early-headship-coaching-offer",
    short_name="EHCO",
    name="Early Headship Coaching Offer",
    family="support",
    phases=("early_years", "primary", "secondary"),
    summary=(
        "Coaching and support for headteachers in their first five years of headship, to help "
        "them settle into the role and stay in it."
    ),
    who_for=(
        "Headteachers in their first five years of headship. It is a coaching and support offer, "
        "not a qualification."
    ),
    aims=(
        "Gives new headteachers structured coaching and support from experienced leaders while "
        "they establish themselves in headship, helping them to lead their school well and to "
        "remain in the role."
    ),
    length="12 months",
    length_months=12,
    delivery_model="Coaching and support sessions, arranged with the provider.",
    assessment="Not assessed.",
    funding_summary="Funded for headteachers in their first five years of headship.",
    content_source="hub",
    review_note=(
        "The whole description is the hub's own: EHCO came after the source pages. Check who it "
        "is for, its content and delivery with the provider. Length is the hub's typical "
        "delivery, not from the source pages. " + FUNDING_NOTE
    ),
)

# --- Maths Hub programmes (002) ---------------------------------------------------------------

MASTERY_SPECIALIST = ProgrammeSeed(
    slug="maths-hub-primary-mastery-specialist",
    course_identifier="",
    short_name="Mastery Specialist",
    name="Primary Mastery Specialist Programme",
    family="maths_hub",
    phases=("primary",),
    summary=(
        "Professional development for expert primary teachers to become Mastery Specialists, "
        "who then lead Teaching for Mastery Work Groups for other schools."
    ),
    who_for=(
        "Expert primary school teachers who want to develop and work as Primary Mastery "
        "Specialists, with the support of their headteacher."
    ),
    aims=(
        "The programme, which began in 2015/16, trains over a hundred primary teachers a year to "
        "become Mastery Specialists.\n\n"
        "In every year after the programme, each Mastery Specialist leads a Teaching for Mastery "
        "Work Group, working with teachers from six or seven primary schools in the Maths Hub "
        "area so that those schools can start to introduce teaching for mastery themselves."
    ),
    prerequisites="The support of the applicant's headteacher.",
    delivery_model=(
        "A programme of professional development to become a Mastery Specialist, followed in "
        "each later year by leading a Teaching for Mastery Work Group of six or seven primary "
        "schools.\n\n"
        "Applicants read the information document and complete the online application form."
    ),
    participant_rules=(
        "Each Maths Hub recruits three or four teachers a year. Applicants need the support of "
        "their headteacher."
    ),
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
)

MASTERING_NUMBER = ProgrammeSeed(
    slug="maths-hub-mastering-number",
    course_identifier="",
    short_name="Mastering Number",
    name="Mastering Number",
    family="maths_hub",
    phases=("early_years", "primary"),
    summary=(
        "Helps pupils in Reception, Year 1 and Year 2 develop good number sense, through three "
        "Lead Teachers in each school."
    ),
    who_for=(
        "Schools that have not yet taken part in the Mastering Number Programme. Each school "
        "takes part through three Lead Teachers, one each from Reception, Year 1 and Year 2; "
        "subject leaders and headteachers also receive some support."
    ),
    aims=(
        "Secures firm foundations in number sense for all children from Reception through Year "
        "1 and Year 2. Over time, the aim is for children to leave Key Stage 1 with fluency in "
        "calculation and confidence and flexibility with number.\n\n"
        "Attention is given to the key knowledge and understanding needed in Reception classes, "
        "and to progression through Key Stage 1 that supports later success."
    ),
    prerequisites="The school has not yet engaged with the Mastering Number Programme.",
    delivery_model=(
        "Delivered through Maths Hub Work Groups. The three Lead Teachers take part in the Work "
        "Group and, where appropriate, support the other teachers in their year group."
    ),
    participant_rules=(
        "Three Lead Teachers per school: one from Reception, one from Year 1 and one from Year "
        "2.\n\n"
        "Where appropriate, Lead Teachers are expected to support the other teachers in their "
        "year group.\n\n"
        "Open only to schools that have not yet engaged with the Mastering Number Programme."
    ),
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
)

MASTERY_READINESS = ProgrammeSeed(
    slug="maths-hub-primary-mastery-readiness",
    course_identifier="",
    short_name="Mastery Readiness",
    name="Primary Mastery Readiness",
    family="maths_hub",
    phases=("primary",),
    summary=(
        "Initial support for primary schools that face a barrier to teaching for mastery, "
        "before they join the full Teaching for Mastery Programme."
    ),
    who_for=(
        "Primary schools with an identifiable barrier to implementing teaching for mastery "
        "successfully at present."
    ),
    aims=(
        "A first step into the primary Teaching for Mastery Programme for schools that are "
        "ready to start their mastery journey but would benefit from initial support before "
        "joining the full programme."
    ),
    prerequisites=(
        "The school has an identifiable barrier to implementing teaching for mastery at present."
    ),
    delivery_model=(
        "Initial support from the Maths Hub to prepare the school for the full Teaching for "
        "Mastery Programme."
    ),
    participant_rules=(
        "Schools must have an identifiable barrier to implementing teaching for mastery "
        "successfully at present. Barriers may include an Ofsted grading of Requires "
        "Improvement or Inadequate, poor pupil progress in mathematics, serving an area of low "
        "social mobility, or issues in the school that have made sustained change difficult to "
        "implement."
    ),
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
)

DEVELOPMENT_WORK_GROUP = ProgrammeSeed(
    slug="maths-hub-primary-development-work-group",
    course_identifier="",
    short_name="Development Work Group",
    name="Primary Development Work Group (Teaching for Mastery)",
    family="maths_hub",
    phases=("primary",),
    summary=(
        "A Work Group for primary schools ready to start developing a teaching for mastery "
        "approach to mathematics."
    ),
    who_for=(
        "Primary schools that are ready to start developing a teaching for mastery approach to "
        "mathematics, and their teachers."
    ),
    aims=(
        "Part of the continuing Teaching for Mastery Programme, a professional development "
        "opportunity that supports teachers to develop best practice in mathematics in their "
        "school and continues the spread of teaching for mastery across England."
    ),
    delivery_model=(
        "Schools join a Work Group that starts in the new academic year. Maths Hubs across "
        "England work with thousands of primary schools through these Work Groups."
    ),
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
)

EMBEDDING = ProgrammeSeed(
    slug="maths-hub-teaching-for-mastery-embedding",
    course_identifier="",
    short_name="Embedding",
    name="Teaching for Mastery Embedding",
    family="maths_hub",
    phases=("primary",),
    summary=(
        "Support for primary schools in their second year of teaching for mastery, to scale "
        "up mastery approaches across the whole school."
    ),
    who_for=(
        "Primary schools in their second year of teaching for mastery that have previously "
        "taken part in a Development Work Group, with the involvement of the school leadership "
        "team, including the headteacher."
    ),
    aims=(
        "Supports schools to scale up teaching for mastery approaches from individual teachers' "
        "classrooms, so that whole-school practices are adopted consistently."
    ),
    length="1 academic year",
    prerequisites=(
        "The school has previously taken part in a Development Work Group, and at least the "
        "lead teacher from that Work Group has already started using mastery approaches."
    ),
    delivery_model="Six workshops across the year, plus support from a Mastery Specialist.",
    participant_rules=(
        "Schools must have previously taken part in a Development Work Group and show a strong "
        "commitment to embedding teaching for mastery approaches.\n\n"
        "At least the lead teacher from the Development Work Group must already have started "
        "using mastery approaches.\n\n"
        "The school leadership team, including the headteacher, must also be involved, to "
        "ensure a whole-school commitment."
    ),
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
)

SUSTAINING = ProgrammeSeed(
    slug="maths-hub-teaching-for-mastery-sustaining",
    course_identifier="",
    short_name="Sustaining",
    name="Teaching for Mastery Sustaining",
    family="maths_hub",
    phases=("primary",),
    summary=(
        "Support for primary schools to make teaching for mastery 'business as usual' and "
        "sustain their mastery approach."
    ),
    who_for=(
        "Primary schools that have previously been involved in teaching for mastery through a "
        "Development or Embedding Work Group, or that are Mastery Specialist schools."
    ),
    aims=(
        "Helps schools make teaching for mastery 'business as usual'. It brings together schools "
        "across the Maths Hubs Network that are working on continued development to sustain "
        "their mastery approach to mathematics."
    ),
    prerequisites=(
        "Previous involvement in teaching for mastery through a Development or Embedding Work "
        "Group, or being a Mastery Specialist school."
    ),
    delivery_model=(
        "A Work Group with one lead participant from each school, normally the maths lead. "
        "Other teachers from the school also take part at different points in the year."
    ),
    participant_rules=(
        "Schools will have taken part in a Development Work Group and may have received support "
        "for embedding mastery, or are Mastery Specialist schools.\n\n"
        "The school's leadership must show a strong commitment to sustaining mastery "
        "approaches, and most teachers must already have started using them.\n\n"
        "Each school has a lead participant in the Work Group, normally the maths lead; other "
        "teachers take part at different points in the year."
    ),
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
)

TA_SKTM = ProgrammeSeed(
    slug="maths-hub-teaching-assistants-sktm",
    course_identifier="",
    short_name="TA SKTM",
    name="Teaching Assistants Specialist Knowledge for Teaching Mathematics",
    family="maths_hub",
    phases=("primary",),
    summary=(
        "Six modules for primary teaching assistants to develop their mathematical subject "
        "knowledge and the pedagogy that underpins teaching it."
    ),
    who_for=(
        "Primary teaching assistants who want to develop their specialist knowledge for "
        "teaching mathematics, particularly new teaching assistants and those who have not had "
        "maths-specific training."
    ),
    aims=(
        "Improves the subject knowledge and pedagogical knowledge of everyone teaching and "
        "supporting the learning of primary mathematics, using materials written for primary "
        "teaching assistants."
    ),
    length="Equivalent of four days",
    delivery_model=(
        "Six modules, each designed to last three to four hours (possibly longer if delivered "
        "online), taking place across the equivalent of four days."
    ),
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
    courses=(
        CourseSeed(
            kind="course",
            title="Specialist knowledge modules",
            number=None,
            delivery="Six modules of three to four hours each",
            modules=tuple(
                ModuleSeed(title=t, format="workshop")
                for t in (
                    "What is effective in the learning and teaching of mathematics?",
                    "Number sense (part 1)",
                    "Number sense (part 2)",
                    "Additive reasoning",
                    "Multiplicative reasoning",
                    "Fractions",
                )
            ),
        ),
    ),
)

TEACHERS_SKTM = ProgrammeSeed(
    slug="maths-hub-primary-teachers-sktm",
    course_identifier="",
    short_name="Teachers SKTM",
    name="Primary Teachers Specialist Knowledge for Teaching Mathematics",
    family="maths_hub",
    phases=("primary",),
    summary=(
        "Two pathways, Number and Spatial Reasoning, for primary teachers to develop their "
        "mathematical subject knowledge and the pedagogy that underpins teaching it."
    ),
    who_for=(
        "Primary teachers who want to develop their specialist knowledge for teaching "
        "mathematics, particularly teachers who have moved phase or have not had maths-specific "
        "training."
    ),
    aims=(
        "Improves the subject knowledge and pedagogical knowledge of everyone teaching and "
        "supporting the learning of primary mathematics."
    ),
    length="Equivalent of four days across the academic year",
    delivery_model=(
        "Two pathways, Number and Spatial Reasoning. Each pathway consists of several core "
        "units and looks at specific topics as well as policy and practice.\n\n"
        "The modules are explored during the academic year, over the equivalent of four days. "
        "Participants may follow one pathway one year and the other pathway the next."
    ),
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
    courses=(
        CourseSeed(
            kind="course",
            title="Number",
            number=None,
            delivery="Pathway of several core units",
            aims=(
                "Develop subject and pedagogical knowledge of number, looking at specific "
                "topics as well as policy and practice."
            ),
        ),
        CourseSeed(
            kind="course",
            title="Spatial Reasoning",
            number=None,
            delivery="Pathway of several core units",
            aims=(
                "Develop subject and pedagogical knowledge of spatial reasoning, looking at "
                "specific topics as well as policy and practice."
            ),
        ),
    ),
)

ECT_SKTM = ProgrammeSeed(
    slug="maths-hub-primary-ect-sktm",
    course_identifier="",
    short_name="ECT SKTM",
    name="Primary Early Career Teachers SKTM",
    family="maths_hub",
    phases=("primary",),
    summary=(
        "Mathematics subject knowledge and pedagogy support for primary early career teachers, "
        "in communities of teachers who learn together."
    ),
    who_for=(
        "Primary early career teachers. Phase 1 Communities are for Early Career Teachers in "
        "their first or second year of teaching. Phase 2 Communities are for teachers in the "
        "early part of their careers who have already taken part in Phase 1."
    ),
    aims=(
        "Offers high-quality subject knowledge and pedagogy support in mathematics for primary "
        "Early Career Teachers (ECTs), recognising the requirements of the Early Career "
        "Framework (ECF)."
    ),
    prerequisites=(
        "Phase 1: in the first or second year of teaching. Phase 2: having already taken part in "
        "Phase 1."
    ),
    delivery_model=(
        "Two projects: one for ECTs who have not yet taken part, and one for those who took part "
        "in the previous year.\n\n"
        "Communities of ECTs are formed for collaboration and sharing practice. In both projects "
        "teachers design effective learning and teaching in mathematics, and review and analyse "
        "their practice."
    ),
    participant_rules=(
        "Phase 1 Communities: Early Career Teachers in their first or second year of "
        "teaching.\n\n"
        "Phase 2 Communities: teachers in the early part of their careers who have engaged with "
        "Phase 1."
    ),
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
)

SUBJECT_LEADERSHIP = ProgrammeSeed(
    slug="maths-hub-primary-subject-leadership",
    course_identifier="",
    short_name="Subject Leadership",
    name="Primary Subject Leadership",
    family="maths_hub",
    phases=("primary",),
    summary=(
        "Leading for sustainable development in mathematics: support for primary mathematics "
        "subject leaders."
    ),
    who_for=(
        "Primary mathematics subject leaders, and those taking on the role, who want to lead "
        "sustainable development of mathematics in their school."
    ),
    aims=(
        "Supports primary leadership of mathematics, helping subject leaders to lead "
        "sustainable development in mathematics across their school."
    ),
    delivery_model="A Maths Hub Work Group for primary mathematics subject leaders.",
    funding_summary=MATHS_HUB_FUNDING,
    content_source="hub",
    review_note=(
        "The source page gives only the title ('Leading for Sustainable development in "
        "Mathematics supporting Primary Leadership'): who it is for, the aims and the delivery "
        "model are the hub's own and need checking with the Maths Hub. " + MATHS_HUB_NOTE
    ),
)

MIXED_AGE = ProgrammeSeed(
    slug="maths-hub-mixed-age-teaching",
    course_identifier="",
    short_name="Mixed-age Teaching",
    name="Mixed-age Teaching (Research and Innovation Work Group)",
    family="maths_hub",
    phases=("primary",),
    summary=(
        "A research and innovation Work Group on the knowledge needed to teach mathematics for "
        "mastery in mixed-age classes."
    ),
    who_for=(
        "Classroom teachers and mathematics leaders in primary schools with mixed-age classes."
    ),
    aims=(
        "Supports primary teachers and leaders of mathematics in mixed-age classes to develop "
        "the subject and pedagogic knowledge to teach for mastery effectively."
    ),
    delivery_model=(
        "A research and innovation Work Group in which participants develop an aspect of "
        "Teaching for Mastery in their own schools, working together on the subject knowledge "
        "needed to teach mixed-age lessons effectively."
    ),
    participant_rules="Open to primary schools with mixed-age classes.",
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
)

YEARS_5_8 = ProgrammeSeed(
    slug="maths-hub-years-5-8-continuity",
    course_identifier="",
    short_name="Years 5-8 Continuity",
    name="Years 5-8 Continuity Work Group",
    family="maths_hub",
    phases=("primary", "secondary"),
    summary=(
        "A cross-phase Work Group that strengthens the move from primary to secondary school "
        "through curriculum and teaching continuity in Years 5 to 8."
    ),
    who_for=(
        "Primary and secondary schools, particularly linked 'families' of schools, such as a "
        "secondary school and its feeder primary schools, or a group of schools within a "
        "multi-academy trust. Lead participants are teachers of Years 5 to 8, ideally with some "
        "responsibility for curriculum development."
    ),
    aims=(
        "Strengthens the transition from primary to secondary school by focusing on curriculum "
        "and pedagogical continuity across Years 5 to 8."
    ),
    delivery_model=(
        "Participants explore a selection of high-quality resources: the Checkpoints, "
        "Multiplicative Reasoning and Algebraic Thinking materials.\n\n"
        "A lesson study approach is encouraged, in which all participants focus on one aspect "
        "of the mathematics curriculum and work together to develop it in their schools. "
        "Cross-phase classroom observation and discussion of practice are encouraged wherever "
        "possible."
    ),
    participant_rules=(
        "Open to both primary and secondary schools. Lead participants should be teachers of "
        "Years 5 to 8, ideally with some responsibility for curriculum development."
    ),
    funding_summary=MATHS_HUB_FUNDING,
    content_source="source_pages",
    review_note=MATHS_HUB_NOTE,
)

CATALOGUE: tuple[ProgrammeSeed, ...] = (
    NPQLPM,
    # Leadership NPQs
    NPQSL,
    NPQH,
    NPQEL,
    NPQEYL,
    # Specialist NPQs
    NPQLTD,
    NPQLT,
    NPQLBC,
    NPQLL,
    NPQSENCO,
    # Support offers
    EHCO,
    # Maths Hub programmes
    MASTERY_SPECIALIST,
    MASTERING_NUMBER,
    MASTERY_READINESS,
    DEVELOPMENT_WORK_GROUP,
    EMBEDDING,
    SUSTAINING,
    TA_SKTM,
    TEACHERS_SKTM,
    ECT_SKTM,
    SUBJECT_LEADERSHIP,
    MIXED_AGE,
    YEARS_5_8,
)
