package web

import (
	"net/http"

	"entraide/internal/funds"
	"entraide/internal/node"
)

func (s *Server) listAssets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caseID, err := pathID(r, "case")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		out, err := s.node.FundsAssets(r.Context(), actorFrom(r.Context()), caseID)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *Server) addAsset() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caseID, err := pathID(r, "case")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		in, err := decode[node.AssetInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		out, err := s.node.AddAsset(r.Context(), actorFrom(r.Context()), caseID, in)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusCreated, out)
	})
}

func (s *Server) recordAssetStep() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caseID, err := pathID(r, "case")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		assetID, err := pathID(r, "asset")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		in, err := decode[funds.AssetStep](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		out, err := s.node.RecordAssetStep(r.Context(), actorFrom(r.Context()), caseID, assetID, in)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *Server) recoveryDashboard() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := s.node.RecoveryDashboard(r.Context(), actorFrom(r.Context()))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *Server) freezingRequests() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caseID, err := pathID(r, "case")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		traceID, err := pathID(r, "trace")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		in, err := decode[node.FreezeInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		out, err := s.node.FreezingRequestsFromTrace(r.Context(), actorFrom(r.Context()), caseID, traceID, in)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, out)
	})
}
