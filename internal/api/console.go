package api

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/console/screen"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc"
	"github.com/kvm-manager/kvm-manager/internal/domainedit"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
)

// consoleRoutes are the graphical console's routes: VNC over WebSocket,
// screenshots and thumbnails, and the fixes its errors offer (add VNC
// graphics, a .vv file for SPICE). Each group is served only when its
// services are given (Options), so its handlers need no nil checks.
func (s *Server) consoleRoutes() []Route {
	const vm = "/api/v1/hosts/{host}/vms/{uuid}"
	var rs []Route
	if s.opts.VNC != nil {
		rs = append(rs,
			Route{"POST", vm + "/console", operator, "", s.consoleTicket},
			Route{"GET", vm + "/console/ws", operator, "console.open", s.consoleSocket},
			Route{"GET", vm + "/console.vv", operator, "", s.consoleVV},
		)
		if s.opts.DomainEdit != nil {
			rs = append(rs, Route{"POST", vm + "/graphics/vnc", admin, "vm.graphics.add", s.addVNCGraphics})
			rs = append(rs, s.consoleInputRoutes(vm)...)
		}
	}
	if s.opts.Screenshots != nil {
		rs = append(rs,
			Route{"GET", vm + "/screenshot", operator, "", s.screenshot},
			Route{"POST", vm + "/screenshot", operator, "screenshot.save", s.saveScreenshot},
			Route{"GET", vm + "/thumbnail", operator, "", s.thumbnail},
			Route{"POST", "/api/v1/thumbnails/watch", operator, "", s.watchThumbnails},
		)
	}
	return rs
}

// consoleTicket answers a ticket for the VM's graphical console, after
// checking in the VM's live XML that there is a VNC display to connect to.
func (s *Server) consoleTicket(w http.ResponseWriter, r *http.Request) error {
	var none struct{}
	if err := decodeJSON(w, r, &none, true); err != nil {
		return err
	}
	return s.mintTicket(w, r, console.KindVNC, "console/ws", false, func(h, uuid string) error {
		_, err := s.opts.VNC.Target(h, uuid)
		return err
	})
}

var errNotWebSocket = problem.New(problem.Invalid, problem.CodeWebSocketRequired,
	"this is a WebSocket endpoint", "connect with a WebSocket client to the URL that POST .../console returned")

// consoleSocket is the console WebSocket: binary RFB, security type None
// (the ticket authorised it), relayed to the VM's own VNC server. Only the
// ticket in the query string is read; no parameter names a target.
func (s *Server) consoleSocket(w http.ResponseWriter, r *http.Request) error {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		s.opts.Tickets.Burn(r.URL.Query().Get("ticket"))
		return errNotWebSocket
	}
	g, release, err := s.redeemTicket(r, console.KindVNC)
	if err != nil {
		return err
	}
	defer release()
	// The upgrade is the console's own WebSocket (binary only, no
	// compression: package wsframe). The proxy calls it while it connects
	// to the VM's VNC server, so that neither waits for the other, and
	// only once the VM passed its checks, which answer here as JSON. The
	// hijacked connection must not inherit a read deadline.
	clearReadDeadline(w)
	r, noted := withViewer(r)
	defer noted()
	return s.opts.VNC.Serve(r.Context(), g.Host, g.UUID, func() (*wsframe.Conn, error) {
		return wsframe.Accept(w, r, vnc.ReadBufferSize)
	})
}

// consoleVV answers a remote-viewer file for a VM whose graphics are SPICE.
func (s *Server) consoleVV(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	b, name, err := s.opts.VNC.VirtViewerFile(h, uuid, requestHost(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-virt-viewer")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFileName(name)+`.vv"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
	return nil
}

// requestHost is the host name the client reached the server at.
func requestHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		return h
	}
	return strings.Trim(r.Host, "[]")
}

// safeFileName keeps a name usable in a Content-Disposition header.
func safeFileName(name string) string {
	out := strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == '/' || r > 0x7e {
			return '_'
		}
		return r
	}, name)
	if out == "" {
		return "vm"
	}
	return out
}

// addVNCGraphics adds VNC graphics to the VM's definition: the fix the
// no_vnc_graphics and spice_only errors offer.
func (s *Server) addVNCGraphics(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRefNoBody(w, r)
	if err != nil {
		return err
	}
	res, err := s.opts.DomainEdit.AddVNC(h, uuid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		domainedit.VNCAdded
		VM inventory.VM `json:"vm"`
	}{res, res.VM})
	return nil
}

// screenshot answers a fresh server-side capture of the VM's screen.
func (s *Server) screenshot(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	shot, err := s.opts.Screenshots.Capture(r.Context(), h, uuid)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `inline; filename="`+safeFileName(shot.FileName)+`"`)
	writePNG(w, shot.PNG, "no-store")
	return nil
}

// saveScreenshot captures the VM's screen and saves it in the screenshots
// folder on the server; the answer says where, for the UI's toast.
func (s *Server) saveScreenshot(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRefNoBody(w, r)
	if err != nil {
		return err
	}
	saved, err := s.opts.Screenshots.Save(r.Context(), h, uuid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

// thumbnail answers a small cached screenshot for a VM card. The ETag names
// the picture (a hash of it), so a card that asks with If-None-Match gets
// 304 until the screen has changed.
func (s *Server) thumbnail(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	t, err := s.opts.Screenshots.Thumbnail(r.Context(), h, uuid)
	if err != nil {
		return err // thumbnail_busy carries its Retry-After
	}
	w.Header().Set("ETag", t.ETag)
	w.Header().Set("Last-Modified", t.Taken.UTC().Format(http.TimeFormat))
	if r.Header.Get("If-None-Match") == t.ETag {
		w.Header().Set("Cache-Control", "private, no-cache")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	writePNG(w, t.PNG, "private, no-cache")
	return nil
}

// maxWatched bounds the VMs one watch request may name: a dashboard shows
// a few dozen cards at a time.
const maxWatched = 200

// watchThumbnails keeps the thumbnails of the VMs a client shows fresh for
// a minute (screen.Service.Watch): the server captures them again every
// 10 s and publishes a "thumbnail" event when one changed, so that a card
// fetches its thumbnail only then. The answer holds the ETags cached now.
func (s *Server) watchThumbnails(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		VMs []screen.VMRef `json:"vms"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if len(req.VMs) > maxWatched {
		return problem.New(problem.Invalid, problem.CodeInvalidField,
			fmt.Sprintf("vms names %d VMs; at most %d may be watched at once", len(req.VMs), maxWatched),
			"name only the VMs whose cards are on screen")
	}
	refs := make([]screen.VMRef, 0, len(req.VMs))
	for _, v := range req.VMs {
		if _, err := s.opts.Hosts.Get(v.Host); err != nil {
			return err
		}
		u, err := host.ParseUUID(strings.ToLower(v.UUID))
		if err != nil {
			return err
		}
		refs = append(refs, screen.VMRef{Host: v.Host, UUID: host.FormatUUID(u)})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"thumbnails":   s.opts.Screenshots.Watch(refs),
		"watchSeconds": int(s.opts.Screenshots.WatchFor() / time.Second),
	})
	return nil
}

func writePNG(w http.ResponseWriter, b []byte, cacheControl string) {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", cacheControl)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
