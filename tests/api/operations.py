"""The GraphQL operations the frontends send, as the README shows them."""

CERT_FIELDS = """number token verificationUrl status fullName courseTitle credits issuedOn
                 revocationReason supersededBy { number }"""
ENROLLMENT_FIELDS = """id totalPoints admitted passed finalGrade { numeric letter }
                       learner { id fullName } mooc { code status } certificate { number status }"""

DRAFT = """mutation($input: DraftMoocInput!) { draftMooc(input: $input) {
  code status language credits hours title { kk ru en } platform { code } } }"""
SUBMIT = "mutation($code: String!) { submitMoocForReview(code: $code) { code status } }"
REVIEW = """mutation($input: RecordExpertReviewInput!) { recordExpertReview(input: $input) {
  code status remarks } }"""
APPROBATION = """mutation($input: RecordApprobationInput!) { recordApprobation(input: $input) {
  code status remarks } }"""
PUBLISH = """mutation($input: PublishMoocInput!) { publishMooc(input: $input) {
  code status platform { code approved } } }"""
REGISTER = """mutation($input: RegisterLearnerInput!) { registerLearner(input: $input) {
  id fullName fullNameLatin } }"""
ENROLL = f"""mutation($input: EnrollInput!) {{ enroll(input: $input) {{ {ENROLLMENT_FIELDS} }} }}"""
SCORE = f"""mutation($input: RecordScoreInput!) {{ recordScore(input: $input) {{
  {ENROLLMENT_FIELDS} }} }}"""
EXAM = f"""mutation($input: RecordFinalExamInput!) {{ recordFinalExam(input: $input) {{
  {ENROLLMENT_FIELDS} }} }}"""
PROCTORING = """mutation($input: SetOnlineProctoringInput!) { setOnlineProctoring(input: $input) }"""
ISSUE = f"""mutation($input: IssueCertificateInput!) {{ issueCertificate(input: $input) {{
  {CERT_FIELDS} }} }}"""
REVOKE = f"""mutation($input: RevokeCertificateInput!) {{ revokeCertificate(input: $input) {{
  {CERT_FIELDS} }} }}"""
ENROLLMENT = f"""query($id: ID!) {{ enrollment(id: $id) {{ {ENROLLMENT_FIELDS} }} }}"""
LEARNER = "query($id: ID!) { learner(id: $id) { id fullName fullNameLatin } }"
CERTIFICATE = f"""query($number: String!) {{ certificate(number: $number) {{ {CERT_FIELDS} }} }}"""
VERIFY = """query($token: String!) { verifyCertificate(token: $token) {
  status reason certificate { number fullName courseTitle credits issuedOn status } } }"""
MOOC = "query($code: String!) { mooc(code: $code) { code status platform { code } } }"
PLATFORM = "query($code: String!) { platform(code: $code) { code url kind ownership approved } }"
