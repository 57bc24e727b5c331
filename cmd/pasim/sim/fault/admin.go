package fault

import (
	"errors"
	"net/http"

	"github.com/welfaregov/gateway/cmd/pasim/sim/simhttp"
	"github.com/welfaregov/gateway/gateway/problem"
)

// AdminHandler serves the fault controls (mount it on the pasim admin listener):
//
//	GET    /faults                     every endpoint with its faults and quota counter
//	GET    /faults/{endpoint}          one endpoint
//	PUT    /faults/{endpoint}          replace its faults with the JSON Spec in the body
//	DELETE /faults/{endpoint}          remove its faults
//	POST   /faults/quotas/reset        zero the daily counters (all, or ?endpoint=NAME)
func (in *Injector) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, _ *http.Request) {
		simhttp.WriteJSON(w, http.StatusOK, map[string]any{"endpoints": in.Endpoints()})
	})
	mux.HandleFunc("GET /faults/{endpoint}", func(w http.ResponseWriter, r *http.Request) {
		if st, ok := in.state(r.PathValue("endpoint")); ok {
			simhttp.WriteJSON(w, http.StatusOK, st)
			return
		}
		simhttp.WriteProblem(w, unknown(r.PathValue("endpoint")))
	})
	mux.HandleFunc("PUT /faults/{endpoint}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("endpoint")
		var s Spec
		if err := simhttp.DecodeJSON(r, &s); err != nil {
			simhttp.WriteProblem(w, err)
			return
		}
		if err := in.Set(name, s); err != nil {
			simhttp.WriteProblem(w, setError(name, err))
			return
		}
		st, _ := in.state(name)
		simhttp.WriteJSON(w, http.StatusOK, st)
	})
	mux.HandleFunc("DELETE /faults/{endpoint}", func(w http.ResponseWriter, r *http.Request) {
		if err := in.Clear(r.PathValue("endpoint")); err != nil {
			simhttp.WriteProblem(w, unknown(r.PathValue("endpoint")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /faults/quotas/reset", func(w http.ResponseWriter, r *http.Request) {
		var names []string
		if n := r.URL.Query().Get("endpoint"); n != "" {
			names = append(names, n)
		}
		if err := in.ResetQuotas(names...); err != nil {
			simhttp.WriteProblem(w, unknown(names[0]))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func (in *Injector) state(name string) (EndpointState, bool) {
	for _, st := range in.Endpoints() {
		if st.Name == name {
			return st, true
		}
	}
	return EndpointState{}, false
}

func unknown(name string) error {
	return problem.New(problem.NotFound, "no simulator endpoint is named %q; GET /faults lists them", name)
}

func setError(name string, err error) error {
	if errors.Is(err, ErrUnknownEndpoint) {
		return unknown(name)
	}
	pe := problem.New(problem.InvalidParameter, "the fault specification is invalid")
	var joined interface{ Unwrap() []error }
	list := []error{err}
	if errors.As(err, &joined) {
		list = joined.Unwrap()
	}
	for _, e := range list {
		var fe *FieldError
		if errors.As(e, &fe) {
			pe.Invalid = append(pe.Invalid, problem.InvalidParam{Name: fe.Field, Reason: fe.Message})
		}
	}
	return pe
}
