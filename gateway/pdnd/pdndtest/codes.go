package pdndtest

import (
	"net/http"

	"github.com/welfaregov/gateway/gateway/pdnd"
)

// The token endpoint's refusals, as PDND's authorization server makes them.
//
// Production hides the cause of every 400: the body always carries one entry,
// {"code":"015-0008","detail":"Unable to generate a token for the given request"}, with title "The
// request contains bad syntax or cannot be fulfilled." and detail "Bad request"
// (interop-be-monorepo, authorization-server AuthorizationServerRouter.ts). That first entry is kept
// as it is, so clients see exactly what production sends. Unless Authority.Opaque is set, the
// authority then adds what production only logs: the internal error, with the service code 015 and
// the authorization server's own codes (model/domain/errors.ts: 0001 request parameters, 0002
// client assertion, 0003 signature, 0006 key or purpose not registered, 0008 platform state, 0009
// DPoP proof, 0010 its signature, 0012 proof replayed), and one entry per failed check, with the
// code the old Scala server gave it (Errors.scala, 8001-8033: integrators and PDND's FAQ still
// quote them).
const (
	CodeUnableToGenerate  = "015-0008"  // the generic code production answers every 400 with
	CodeRequestParameters = "015-0001"  // clientAssertionRequestValidationFailed
	CodeAssertion         = "015-0002"  // clientAssertionValidationFailed
	CodeSignature         = "015-0003"  // clientAssertionSignatureValidationFailed
	CodeKeyNotFound       = "015-0006"  // tokenGenerationStatesEntryNotFound
	CodePlatformState     = "015-0008"  // platformStateValidationFailed
	CodeDPoP              = "015-0009"  // dpopProofValidationFailed
	CodeDPoPSignature     = "015-0010"  // dpopProofSignatureValidationFailed
	CodeDPoPReplay        = "015-0012"  // dpopProofJtiAlreadyUsed
	CodeTooManyRequests   = "015-10004" // tooManyRequestsError (common code 10004)
	CodeInternal          = "015-0000"
)

// Check codes of the old Scala authorization server (Errors.scala), one per failed check.
const (
	CheckClientIDFormat      = "8001"
	CheckGrantType           = "8002"
	CheckAssertionType       = "8003"
	CheckParse               = "8004"
	CheckInvalidClaims       = "8005" // a claim or header member outside the whitelist (strict mode)
	CheckSubjectFormat       = "8006"
	CheckSubjectMissing      = "8007"
	CheckSubjectClientID     = "8008"
	CheckPurposeIDFormat     = "8009"
	CheckAudience            = "8010"
	CheckHashLength          = "8011"
	CheckHashAlgorithm       = "8012"
	CheckKidMissing          = "8013"
	CheckAlgMissing          = "8014"
	CheckJTIMissing          = "8015"
	CheckIatMissing          = "8016"
	CheckIssMissing          = "8017"
	CheckExpMissing          = "8018"
	CheckDigestClaimMissing  = "8019"
	CheckDigestClaims        = "8020"
	CheckSignatureVerify     = "8022" // includes an expired or not-yet-valid assertion
	CheckSignatureInvalid    = "8023"
	CheckPurposeIDMissing    = "8024"
	CheckPurposeNotFound     = "8025"
	CheckPurposeInactive     = "8026"
	CheckEServiceInactive    = "8027"
	CheckAgreementInactive   = "8028"
	CheckAlgorithmNotAllowed = "8029"
	CheckDigestFormat        = "8032"
	CheckKidFormat           = "8033"
)

// stage is one step of the token endpoint, with the internal error PDND raises when it fails.
type stage struct {
	code   string
	title  string
	prefix func(clientID string) string
}

var (
	stageParameters = stage{CodeRequestParameters, "Client assertion request validation failed",
		func(c string) string {
			return "Client assertion request validation failed for request by client " + c + " - "
		}}
	stageAssertion = stage{CodeAssertion, "Client assertion validation failed",
		func(c string) string { return "Client assertion validation failed for clientId: " + c + " - " }}
	stageSignature = stage{CodeSignature, "Client assertion signature validation failed",
		func(c string) string { return "Client assertion signature validation failed for client " + c + " - " }}
	stageKey = stage{CodeKeyNotFound, "token-generation-states entry not found",
		func(string) string { return "Entry not found in token-generation-states table - " }}
	stagePlatform = stage{CodePlatformState, "Platform state validation failed",
		func(string) string { return "Platform state validation failed - " }}
	stageDPoP = stage{CodeDPoP, "DPoP proof validation failed",
		func(c string) string { return "DPoP proof validation failed for clientId: " + c + " - " }}
	stageDPoPSignature = stage{CodeDPoPSignature, "DPoP proof signature validation failed",
		func(c string) string { return "DPoP proof signature validation failed for client " + c + " - " }}
	stageDPoPReplay = stage{CodeDPoPReplay, "DPoP proof JTI already in cache",
		func(string) string { return "" }}
)

// check is one failed check: its Scala code and PDND's message.
type check struct{ code, detail string }

// refusal is a 400 of the token endpoint.
type refusal struct {
	stage    stage
	clientID string
	checks   []check
}

func (r *refusal) Error() string {
	s := r.stage.code + " " + r.stage.title
	for _, c := range r.checks {
		s += "; " + c.code + " " + c.detail
	}
	return s
}

// write answers the refusal: production's generic entry, then (unless opaque) the internal error
// and each failed check.
func (r *refusal) write(w http.ResponseWriter, opaque bool) {
	errs := []pdnd.ProblemError{{Code: CodeUnableToGenerate, Detail: "Unable to generate a token for the given request"}}
	if !opaque {
		joined := ""
		for i, c := range r.checks {
			if i > 0 {
				joined += ", "
			}
			joined += c.detail
		}
		errs = append(errs, pdnd.ProblemError{Code: r.stage.code, Detail: r.stage.prefix(r.clientID) + joined})
		for _, c := range r.checks {
			errs = append(errs, pdnd.ProblemError{Code: c.code, Detail: c.detail})
		}
	}
	writeProblem(w, http.StatusBadRequest, "The request contains bad syntax or cannot be fulfilled.", "Bad request", errs)
}
