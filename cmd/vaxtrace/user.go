package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"vaxtrace"
	"vaxtrace/password"
)

func init() {
	register("user", "manage people who sign in: add, list, disable, enable, reset", runUser)
}

const userUsage = `usage: vaxtrace user add --name NAME --role admin|region|point|auditor [--region R] [--place P] [--full-name TEXT] [--password-stdin]
       vaxtrace user list
       vaxtrace user disable|enable --name NAME
       vaxtrace user reset --name NAME [--password-stdin]

Without --password-stdin a random temporary password is printed once.`

func runUser(ctx context.Context, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(os.Stderr, userUsage)
		return flag.ErrHelp
	}
	action := args[0]
	fs := flag.NewFlagSet("user "+action, flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	name := fs.String("name", "", "sign-in name (a-z 0-9 . _ -)")
	role := fs.String("role", "", "admin | region | point | auditor")
	region := fs.String("region", "", "region code for role region (e.g. KZ-AKM)")
	place := fs.String("place", "", "vaccination point id for role point")
	full := fs.String("full-name", "", "the person's name as the app shows it")
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	j, err := openJournal(ctx, sf.db)
	if err != nil {
		return err
	}
	defer j.Close()
	store, ok := j.(vaxtrace.UserStore)
	if !ok {
		return fmt.Errorf("this store keeps no user accounts")
	}
	readPassword := func() (pw string, generated bool, err error) {
		if !*stdin {
			return password.Generate(), true, nil
		}
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", false, vaxtrace.FieldError("password", "no password on standard input")
		}
		return strings.TrimRight(line, "\r\n"), false, nil
	}
	now := time.Now()
	actor := "cli:" + env("USER", "operator")
	switch action {
	case "list":
		us, err := store.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSCOPE\tSTATE\tFULL NAME")
		for _, u := range us {
			state := "active"
			switch {
			case u.Disabled:
				state = "disabled"
			case u.LockedUntil > now.UnixNano():
				state = "locked until " + time.Unix(0, u.LockedUntil).Format("15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, u.Region+u.Place, state, u.FullName)
		}
		return tw.Flush()
	case "add":
		u := vaxtrace.User{Name: strings.ToLower(*name), FullName: *full, Role: *role, Region: *region, Place: *place, Created: now.Unix(), Updated: now.Unix(), UpdatedBy: actor}
		if err := u.Validate(); err != nil {
			return err
		}
		if u.Role == vaxtrace.RoleRegion || u.Role == vaxtrace.RolePoint {
			if err := checkUserScope(ctx, sf, u); err != nil {
				return err
			}
		}
		pw, generated, err := readPassword()
		if err != nil {
			return err
		}
		if err := vaxtrace.ValidPassword(u.Name, pw); err != nil {
			return err
		}
		u.PasswordHash = password.Hash(pw)
		if err := store.CreateUser(ctx, u); err != nil {
			return err
		}
		if generated {
			fmt.Println(pw)
		}
		return nil
	case "disable", "enable", "reset":
		if *name == "" {
			return vaxtrace.FieldError("name", "required")
		}
		var pw string
		var generated bool
		if action == "reset" {
			if pw, generated, err = readPassword(); err != nil {
				return err
			}
			if err := vaxtrace.ValidPassword(*name, pw); err != nil {
				return err
			}
		}
		_, err := store.UpdateUser(ctx, *name, func(u *vaxtrace.User) error {
			switch action {
			case "disable":
				u.Disabled = true
			case "enable":
				u.Disabled = false
			case "reset":
				u.PasswordHash, u.Failures, u.LockedUntil = password.Hash(pw), 0, 0
			}
			u.Updated, u.UpdatedBy = now.Unix(), actor
			return nil
		})
		if err != nil {
			return err
		}
		if action != "enable" {
			if err := store.DeleteUserSessions(ctx, *name); err != nil {
				return err
			}
		}
		if generated {
			fmt.Println(pw)
		}
		return nil
	}
	fmt.Fprintln(os.Stderr, userUsage)
	return vaxtrace.FieldError("action", "unknown user action %q", action)
}

// checkUserScope verifies against the ledger that a region or point exists.
func checkUserScope(ctx context.Context, sf storeFlags, u vaxtrace.User) error {
	eng, _, err := sf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	var serr error
	eng.Read(func(st *vaxtrace.State) {
		switch u.Role {
		case vaxtrace.RoleRegion:
			if st.Region(u.Region) == nil {
				serr = vaxtrace.NotFound("region", "unknown region %q", u.Region)
			}
		case vaxtrace.RolePoint:
			if pl := st.Place(u.Place); pl == nil || pl.Kind != vaxtrace.PlacePoint {
				serr = vaxtrace.NotFound("place", "no vaccination point %q", u.Place)
			}
		}
	})
	return serr
}
