package csvimport

import (
	"bytes"
	"errors"
	"testing"

	"vaxtrace"
)

// FuzzParse feeds arbitrary bytes to Parse for every kind (the first byte
// picks the kind). Parse must not panic, must return either an invalid-input
// error or a File, and every data line of a File must be accounted for.
func FuzzParse(f *testing.F) {
	kinds := Kinds()
	for i, k := range kinds {
		ex := readExample(f, k)
		f.Add(byte(i), ex)
		f.Add(byte(i), append([]byte("\xEF\xBB\xBF"), ex...))
		f.Add(byte(i), bytes.ReplaceAll(ex, []byte(","), []byte(";")))
		f.Add(byte(i), bytes.ReplaceAll(ex, []byte("2021"), []byte("20x1")))
		f.Add(byte(i), ex[:len(ex)/2])
		req, opt, _ := Columns(k)
		f.Add(byte(i), []byte(joinCSV(append(req, opt...))+"\n"+joinCSV(make([]string, len(req)+len(opt)))+"\n\"a\n,b\"\n"))
	}
	f.Add(byte(5), []byte("id,iin,family,given,birth_date,sex,region,group,at,place,lot,vaccinator,override\nD1,850315300128,\xe9,x,1985-03-15,M,KZ-AKM,,2021-03-01,P,L,V,\n"))
	keys := testKeys(f)
	f.Fuzz(func(t *testing.T, k byte, data []byte) {
		kind := kinds[int(k)%len(kinds)]
		file, err := Parse(kind, bytes.NewReader(data), keys)
		if err != nil {
			var e *vaxtrace.Error
			if !errors.As(err, &e) || e.Code != vaxtrace.EINVALID || e.Field == "" {
				t.Fatalf("structural error without a line: %v", err)
			}
			if file != nil {
				t.Fatal("file returned with an error")
			}
			return
		}
		checkAccounted(t, file)
		for _, r := range file.Rows {
			for _, c := range r.Cmds {
				if c.Key == "" || c.Data == nil {
					t.Fatalf("empty command in row %d", r.Line)
				}
			}
		}
		for _, re := range file.RowErrors {
			if re.Line < 2 || re.Message == "" {
				t.Fatalf("bad row error %+v", re)
			}
		}
	})
}

func joinCSV(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x)
	}
	return b.String()
}
