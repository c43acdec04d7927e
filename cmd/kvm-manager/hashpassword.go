package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kvm-manager/kvm-manager/internal/auth"
)

// hashPassword is `kvm-manager hash-password`: it reads a password (asked
// twice without echo on a terminal, else one line from stdin) and prints
// its argon2id hash for the config file's "password-hash".
func hashPassword(stdin *os.File, stdout, stderr io.Writer) error {
	var pw string
	if fd := int(stdin.Fd()); isTerminal(fd) {
		first, err := readHidden(fd, stdin, stderr, "Password: ")
		if err != nil {
			return err
		}
		again, err := readHidden(fd, stdin, stderr, "Again: ")
		if err != nil {
			return err
		}
		if first != again {
			return errors.New("the two passwords differ: nothing was hashed")
		}
		pw = first
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	h, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h)
	return nil
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// readHidden reads one line with echo off, restoring the terminal after.
func readHidden(fd int, in io.Reader, prompt io.Writer, label string) (string, error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return "", fmt.Errorf("read terminal settings: %w", err)
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return "", fmt.Errorf("turn off echo: %w", err)
	}
	defer func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }()
	fmt.Fprint(prompt, label)
	line, err := bufio.NewReader(in).ReadString('\n')
	fmt.Fprintln(prompt)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
