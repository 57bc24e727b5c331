package pdnd

import (
	"net/http"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/simhttp"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
	"github.com/welfaregov/gateway/gateway/problem"
)

// adminRoutes are the operator endpoints of the simulated PDND (what the back office and PDND's
// operations would do):
//
//	GET    /admin/registry                  the manifest (ids, kids, key files) and the published voucher kids
//	POST   /admin/voucher-key/rotate        new voucher signing key; ?grace=DURATION keeps the old one published that long
//	PUT    /admin/purposes/{name}           {"purposeState","agreementState","descriptorState"}: ACTIVE or another state
//	DELETE /admin/keys/{name}               revoke a client key (unknown to the token endpoint and the key API)
func (s *Simulator) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/registry", func(w http.ResponseWriter, _ *http.Request) {
		simhttp.WriteJSON(w, http.StatusOK, map[string]any{"manifest": s.manifest, "voucherKids": s.auth.PublishedKids()})
	})
	mux.HandleFunc("POST /admin/voucher-key/rotate", func(w http.ResponseWriter, r *http.Request) {
		grace := s.grace
		if v := r.URL.Query().Get("grace"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				simhttp.WriteProblem(w, problem.New(problem.InvalidParameter, "grace %q is not a non-negative duration (e.g. 10m, 0s)", v))
				return
			}
			grace = d
		}
		kid, err := s.auth.RotateKeyWithGrace(grace)
		if err != nil {
			simhttp.WriteProblem(w, problem.Wrap(problem.Internal, err, "the new voucher key could not be generated"))
			return
		}
		simhttp.WriteJSON(w, http.StatusOK, map[string]any{"kid": kid, "grace": grace.String(), "voucherKids": s.auth.PublishedKids()})
	})
	mux.HandleFunc("PUT /admin/purposes/{name}", func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.purposes[r.PathValue("name")]
		if !ok {
			simhttp.WriteProblem(w, problem.New(problem.NotFound, "no purpose is named %q in the seed", r.PathValue("name")))
			return
		}
		var body struct {
			PurposeState    *string `json:"purposeState"`
			AgreementState  *string `json:"agreementState"`
			DescriptorState *string `json:"descriptorState"`
		}
		if err := simhttp.DecodeJSON(r, &body); err != nil {
			simhttp.WriteProblem(w, err)
			return
		}
		var out pdndtest.Purpose
		s.auth.UpdatePurpose(p.ID, func(ap *pdndtest.Purpose) {
			if body.PurposeState != nil {
				ap.PurposeInactive = !active(*body.PurposeState)
			}
			if body.AgreementState != nil {
				ap.AgreementInactive = !active(*body.AgreementState)
			}
			if body.DescriptorState != nil {
				ap.DescriptorInactive = !active(*body.DescriptorState)
			}
			out = *ap
		})
		state := func(inactive bool) string {
			if inactive {
				return "INACTIVE"
			}
			return "ACTIVE"
		}
		simhttp.WriteJSON(w, http.StatusOK, map[string]string{"purpose": p.Name, "purposeState": state(out.PurposeInactive),
			"agreementState": state(out.AgreementInactive), "descriptorState": state(out.DescriptorInactive)})
	})
	mux.HandleFunc("DELETE /admin/keys/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		for _, c := range s.manifest.Clients {
			for _, k := range c.Keys {
				if k.Name == name {
					if !s.auth.RemoveClientKey(c.ClientID, k.Kid) {
						simhttp.WriteProblem(w, problem.New(problem.NotFound, "key %q is already revoked", name))
						return
					}
					w.WriteHeader(http.StatusNoContent)
					return
				}
			}
		}
		simhttp.WriteProblem(w, problem.New(problem.NotFound, "no client key is named %q in the seed", name))
	})
}
