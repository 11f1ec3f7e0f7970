package web

import (
	"net/http"
	"strconv"

	"entraide/internal/funds"
	"entraide/internal/funds/records"
	"entraide/internal/node"
)

// fundsCaseInput opens a fund-tracing case.
type fundsCaseInput struct {
	Title     string `json:"title"`
	Reference string `json:"reference,omitempty"`
}

// jurisdictionInput sets the State an account is in.
type jurisdictionInput struct {
	State string `json:"state"`
}

// ratesInput loads exchange rates into one currency's table.
type ratesInput struct {
	Currency string       `json:"currency"`
	Rates    []funds.Rate `json:"rates"`
}

// mappingInput saves a CSV column mapping under a name.
type mappingInput struct {
	Name    string          `json:"name"`
	Mapping records.Mapping `json:"mapping"`
}

// answer adapts a handler that returns its status, its body and its
// error to an http.Handler that writes the body or the problem.
func (s *Server) answer(fn func(r *http.Request) (int, any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, body, err := fn(r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, status, body)
	})
}

// withBody adapts a handler of a JSON body of type T, decoded first.
func withBody[T any](s *Server, fn func(r *http.Request, in T) (int, any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[T](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		s.answer(func(r *http.Request) (int, any, error) { return fn(r, in) }).ServeHTTP(w, r)
	})
}

// pageParams reads a listing's after (an id) and limit.
func pageParams(r *http.Request) (after int64, limit int, err error) {
	q := r.URL.Query()
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return 0, 0, badRequest("after", "after is the id of the last row of the previous page, 0 or more")
		}
	}
	limit = node.MaxFundsPage
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > node.MaxFundsPage {
			return 0, 0, badRequest("limit", "limit is a number from 1 to %d", node.MaxFundsPage)
		}
	}
	return after, limit, nil
}

func (s *Server) createFundsCase() http.Handler {
	return withBody(s, func(r *http.Request, in fundsCaseInput) (int, any, error) {
		c, err := s.node.CreateFundsCase(r.Context(), actorFrom(r.Context()), in.Title, in.Reference)
		return http.StatusCreated, c, err
	})
}

func (s *Server) listFundsCases() http.Handler {
	return s.answer(func(r *http.Request) (int, any, error) {
		out, err := s.node.FundsCases(r.Context(), actorFrom(r.Context()))
		return http.StatusOK, out, err
	})
}

func (s *Server) getFundsCase() http.Handler {
	return s.answer(func(r *http.Request) (int, any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return 0, nil, err
		}
		out, err := s.node.FundsCase(r.Context(), actorFrom(r.Context()), id)
		return http.StatusOK, out, err
	})
}

func (s *Server) importFunds() http.Handler {
	return withBody(s, func(r *http.Request, in node.FundsImport) (int, any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return 0, nil, err
		}
		out, err := s.node.ImportFundsRecords(r.Context(), actorFrom(r.Context()), id, in)
		return http.StatusCreated, out, err
	})
}

func (s *Server) listFundsAccounts() http.Handler {
	return s.answer(func(r *http.Request) (int, any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return 0, nil, err
		}
		after, limit, err := pageParams(r)
		if err != nil {
			return 0, nil, err
		}
		out, err := s.node.FundsAccounts(r.Context(), actorFrom(r.Context()), id, after, limit)
		return http.StatusOK, out, err
	})
}

func (s *Server) listFundsTransfers() http.Handler {
	return s.answer(func(r *http.Request) (int, any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return 0, nil, err
		}
		after, limit, err := pageParams(r)
		if err != nil {
			return 0, nil, err
		}
		var account funds.AccountID
		if v := r.URL.Query().Get("account"); v != "" {
			if account, err = accountParam(v); err != nil {
				return 0, nil, err
			}
		}
		out, err := s.node.FundsTransfers(r.Context(), actorFrom(r.Context()), id, account, after, limit)
		return http.StatusOK, out, err
	})
}

func (s *Server) setFundsJurisdiction() http.Handler {
	return withBody(s, func(r *http.Request, in jurisdictionInput) (int, any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return 0, nil, err
		}
		account, err := accountParam(r.PathValue("account"))
		if err != nil {
			return 0, nil, err
		}
		out, err := s.node.SetFundsAccountJurisdiction(r.Context(), actorFrom(r.Context()), id, account, in.State)
		return http.StatusOK, out, err
	})
}

func (s *Server) loadFundsRates() http.Handler {
	return withBody(s, func(r *http.Request, in ratesInput) (int, any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return 0, nil, err
		}
		out, err := s.node.LoadFundsRates(r.Context(), actorFrom(r.Context()), id, in.Currency, in.Rates)
		return http.StatusOK, out, err
	})
}

func (s *Server) listFundsRates() http.Handler {
	return s.answer(func(r *http.Request) (int, any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return 0, nil, err
		}
		out, err := s.node.FundsRates(r.Context(), actorFrom(r.Context()), id, r.URL.Query().Get("currency"))
		return http.StatusOK, out, err
	})
}

func (s *Server) traceFunds() http.Handler {
	return withBody(s, func(r *http.Request, in node.TraceInput) (int, any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return 0, nil, err
		}
		out, err := s.node.TraceFunds(r.Context(), actorFrom(r.Context()), id, in)
		return http.StatusCreated, out, err
	})
}

func (s *Server) listFundsTraces() http.Handler {
	return s.answer(func(r *http.Request) (int, any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return 0, nil, err
		}
		out, err := s.node.FundsTraces(r.Context(), actorFrom(r.Context()), id)
		return http.StatusOK, out, err
	})
}

func (s *Server) getFundsTrace() http.Handler {
	return s.answer(func(r *http.Request) (int, any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return 0, nil, err
		}
		trace, err := pathID(r, "trace")
		if err != nil {
			return 0, nil, err
		}
		out, err := s.node.FundsTrace(r.Context(), actorFrom(r.Context()), id, trace)
		return http.StatusOK, out, err
	})
}

func (s *Server) saveFundsMapping() http.Handler {
	return withBody(s, func(r *http.Request, in mappingInput) (int, any, error) {
		out, err := s.node.SaveFundsMapping(r.Context(), actorFrom(r.Context()), in.Name, in.Mapping)
		return http.StatusCreated, out, err
	})
}

func (s *Server) listFundsMappings() http.Handler {
	return s.answer(func(r *http.Request) (int, any, error) {
		out, err := s.node.FundsMappings(r.Context(), actorFrom(r.Context()))
		return http.StatusOK, out, err
	})
}

// accountParam reads an account's id in a case, as the path or the query
// gives it.
func accountParam(v string) (funds.AccountID, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, badRequest("account", "account is an account's id in the case (GET its accounts)")
	}
	return funds.AccountID(n), nil
}
