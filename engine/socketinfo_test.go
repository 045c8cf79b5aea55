package engine

import (
	"reflect"
	"testing"

	"github.com/udprx/udprx/platform"
)

// TestSocketInfoMirrorsPlatform: SocketInfo carries every fact
// platform.Info reports (its exported fields, same names and types), so
// that a fact added to the platform's report is not silently missing from
// Stats, and socketInfo copies each one.
func TestSocketInfoMirrorsPlatform(t *testing.T) {
	pt, et := reflect.TypeFor[platform.Info](), reflect.TypeFor[SocketInfo]()
	in := reflect.New(pt).Elem()
	n := 0
	for f := range pt.Fields() {
		if !f.IsExported() {
			continue
		}
		n++
		ef, ok := et.FieldByName(f.Name)
		if !ok || ef.Type != f.Type {
			t.Errorf("SocketInfo.%s: missing or not %v", f.Name, f.Type)
			continue
		}
		// A value other than the zero one, to see it copied.
		v := in.FieldByIndex(f.Index)
		switch v.Kind() {
		case reflect.String:
			v.SetString("x")
		case reflect.Int:
			v.SetInt(7)
		case reflect.Bool:
			v.SetBool(true)
		default:
			t.Fatalf("platform.Info.%s: kind %v not handled by this test", f.Name, v.Kind())
		}
	}
	if et.NumField() != n {
		t.Errorf("SocketInfo has %d fields, platform.Info %d exported ones", et.NumField(), n)
	}
	out := reflect.ValueOf(socketInfo(in.Interface().(platform.Info)))
	for f := range et.Fields() {
		if got, want := out.FieldByName(f.Name).Interface(), in.FieldByName(f.Name).Interface(); got != want {
			t.Errorf("socketInfo: %s = %v, want %v", f.Name, got, want)
		}
	}
}
