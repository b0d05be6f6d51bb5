package sandbox

import (
	"context"
	"regexp"
	"strings"

	"waybilldesk/wxapi"
)

// printerRoutes registers getPrinter and updatePrinter.
func (s *Sandbox) printerRoutes(t map[string]route) {
	t[wxapi.PathGetPrinter] = route{token: true, handle: s.handleGetPrinter}
	t[wxapi.PathUpdatePrinter] = route{post: true, token: true, handle: s.handleUpdatePrinter}
}

// maxPrinterTags is the most tag ids one operator may carry.
const maxPrinterTags = 10

var tagIDList = regexp.MustCompile(`^[0-9]+(,[0-9]+)*$`)

// handleUpdatePrinter serves POST /cgi-bin/express/business/printer/update.
func (s *Sandbox) handleUpdatePrinter(ctx context.Context, c *call) (any, error) {
	var req wxapi.UpdatePrinterRequest
	if err := decodeBody(c, &req, codeInvalidArgs); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.OpenID) == "" {
		return nil, wxErrf(codeInvalidOpenID, "openid is required")
	}
	var tags []string
	if req.TagIDList != "" {
		if !tagIDList.MatchString(req.TagIDList) {
			return nil, wxErrf(codeInvalidArgs, "tagid_list must be numbers separated by commas, no spaces")
		}
		if tags = strings.Split(req.TagIDList, ","); len(tags) > maxPrinterTags {
			return nil, wxErrf(codeInvalidArgs, "tagid_list has %d ids, at most %d", len(tags), maxPrinterTags)
		}
	}
	switch req.UpdateType {
	case wxapi.PrinterBind:
		if err := s.db.bindPrinter(ctx, req.OpenID, tags); err != nil {
			return nil, err
		}
	case wxapi.PrinterUnbind:
		if err := s.db.unbindPrinter(ctx, req.OpenID); err != nil {
			return nil, err
		}
	default:
		return nil, wxErrf(codeBadUpdateType, "%q", req.UpdateType)
	}
	return statusOK, nil
}

type getPrinterReply struct {
	status
	wxapi.GetPrinterResponse
}

// handleGetPrinter serves GET /cgi-bin/express/business/printer/getall:
// the operators' openids and the distinct tag ids they carry.
func (s *Sandbox) handleGetPrinter(ctx context.Context, _ *call) (any, error) {
	list, err := s.db.printers(ctx)
	if err != nil {
		return nil, err
	}
	out := wxapi.GetPrinterResponse{Count: len(list), OpenID: []string{}, TagIDList: []string{}}
	seen := map[string]bool{}
	for _, p := range list {
		out.OpenID = append(out.OpenID, p.OpenID)
		for _, t := range p.TagIDs {
			if !seen[t] {
				seen[t] = true
				out.TagIDList = append(out.TagIDList, t)
			}
		}
	}
	return getPrinterReply{statusOK, out}, nil
}
